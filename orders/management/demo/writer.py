"""Write planned orders in batches, with a stock ledger that adds up.

The invariant the rest of Backroom relies on: for every stock level, ``on_hand`` is the sum
of its movements and ``reserved`` the sum of its reservations, with ``0 <= reserved <=
on_hand``. The demo keeps it after every batch, not only at the end: before writing, it
walks each level's demand (shipped plus reserved quantities) in order and books a
supplier receipt whenever the free stock would not cover the next order, sized to about
two weeks of sales, the last one sized to land exactly on a believable final level. Each
receipt is written in the batch of the order that called for it, so an interrupted run
leaves consistent levels and a rerun completes it.
"""

import math
import random
import time as clock
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import DateTimeField, F, JSONField, Max, Model
from django.utils import timezone

from billing.models import Payment
from inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from orders.management.demo import data
from orders.management.demo.planner import DAYS, OrderPlan
from orders.management.demo.reference import LevelInfo, Reference
from orders.management.demo.text import _
from orders.models import Order, OrderEvent, OrderLine, new_tracking_code
from shipping.models import Shipment, ShipmentLine, TrackingEvent

WRITTEN_MODELS: list[type[Model]] = [
    Order, OrderLine, OrderEvent, Payment, Shipment, ShipmentLine, TrackingEvent, StockMovement, Reservation,
]  # fmt: skip


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime: naive UTC text."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


class Table:
    """Rows for one model's table, inserted with ``executemany`` (COPY on PostgreSQL).

    ``bulk_create`` prepares every value through the field API and, with DEBUG on, logs
    each statement with its parameters: at 100,000 orders (1.5 million rows) that costs
    more than everything else together. The demo builds plain tuples instead, adapting
    only what the driver cannot (datetimes on SQLite, JSON), and passes every column, so
    ``auto_now`` stamps do not overwrite the planned history.
    """

    def __init__(self, model: type[Model]) -> None:
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model = model
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values bound
            quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
        )
        self.copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        # Defaults are taken once (the store currency, False, empty JSON); per-row values such
        # as the tracking code are always passed. A field added later without a default gets
        # what Django would insert: "" for text, None otherwise.
        self.columns = [(f.attname, f.get_default()) for f in fields]  # "" for a blank text field, else None
        self.converters: list[tuple[int, Callable]] = []
        for i, f in enumerate(fields):
            if isinstance(f, JSONField):
                self.converters.append((i, partial(f.get_db_prep_save, connection=connection)))
            elif isinstance(f, DateTimeField) and connection.vendor == "sqlite":
                self.converters.append((i, _sqlite_datetime))
        self.rows: list[list] = []

    def add(self, **values) -> None:
        row = [values.get(name, default) for name, default in self.columns]
        for i, convert in self.converters:
            if row[i] is not None:
                row[i] = convert(row[i])
        self.rows.append(row)

    def insert(self, cursor) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            # COPY is several times faster than even pipelined INSERTs on PostgreSQL.
            with cursor.cursor.copy(self.copy_sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            cursor.executemany(self.sql, self.rows)
        self.rows = []


# --- stock --------------------------------------------------------------------------------


@dataclass(slots=True)
class Booking:
    """A receipt or adjustment to write in a given batch."""

    batch: int
    level: LevelInfo
    kind: str
    quantity: int
    at: datetime
    reason: str


def _round_up(quantity: float, case: int) -> int:
    return max(case, math.ceil(quantity / case) * case)


def _morning(at: datetime, tz: tzinfo) -> datetime:
    """07:00 local on the day of ``at`` (deliveries arrive before opening), or just before ``at``."""
    local = at.astimezone(tz)
    seven = local.replace(hour=7, minute=0, second=0, microsecond=0)
    return min(seven, at - timedelta(minutes=10))


def plan_stock(*, ref: Reference, plans: list[OrderPlan], batch_size: int, seed: int, now: datetime,
               tz: tzinfo) -> list[Booking]:  # fmt: skip
    """Receipts (and a few adjustments) so every level covers its demand and ends believably."""
    rng = random.Random(seed ^ 0x5EED)
    last_batch = max(0, math.ceil(len(plans) / batch_size) - 1)
    locations = {loc.code: loc.pk for loc in ref.locations.values()}
    demand: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)  # level key: [(position, qty)]
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    for position, plan in enumerate(plans):
        location_id = locations[plan.location_code]
        for line in plan.lines:
            quantity = line.shipped + line.reserved
            if quantity:
                demand[(line.variant.id, location_id)].append((position, quantity))
                reserved[(line.variant.id, location_id)] += line.reserved

    variants = {info.id: info for info in ref.variants.values()}
    warehouse, shop = ref.locations["warehouse"].pk, ref.locations["shop"].pk
    # "A couple at 0": two shop levels that nobody is waiting for end empty.
    unreserved_shop = sorted(k for k, level in ref.levels.items() if k[1] == shop and level.fresh and not reserved[k])
    empty = set(rng.sample(unreserved_shop, min(2, len(unreserved_shop))))
    opening_at = _morning(now - timedelta(days=DAYS + 1), tz)
    bookings: list[Booking] = []
    for key in sorted(ref.levels):
        level = ref.levels[key]
        variant = variants.get(key[0])
        if variant is None:
            continue
        events = demand.get(key, [])
        total = sum(q for _p, q in events)
        if level.fresh:
            free = 0
            if key in empty or (key[1] == warehouse and variant.sku in data.SOLD_OUT_AT_WAREHOUSE):
                target = 0
            elif key[1] == warehouse:
                low = rng.random() < 0.06
                target = rng.randint(1, max(1, variant.threshold - 1)) if low else rng.randint(
                    variant.threshold * 2, variant.threshold * 8)  # fmt: skip
            else:
                low = rng.random() < 0.1
                target = rng.randint(1, max(1, variant.threshold - 1)) if low else rng.randint(
                    variant.threshold, variant.threshold * 3)  # fmt: skip
        else:
            free = level.on_hand - level.reserved
            target = free  # keep what the merchant has; only cover the new orders
        case = variant.case_size
        restock = _round_up(total / 6, case)  # about two weeks of sales per delivery
        remaining = total + target - free
        if level.fresh and remaining <= 0:  # nothing sold, nothing kept: received once, gone at a count
            bookings.append(Booking(0, level, MovementKind.RECEIPT, case, opening_at, _("Opening stock.")))
            bookings.append(Booking(0, level, MovementKind.COUNT, -case, opening_at + timedelta(days=30),
                                    _("Stock count: none found.")))  # fmt: skip
        elif level.fresh:
            opening = min(_round_up(restock * 1.5, case), remaining)
            breakage = 1 if rng.random() < 0.08 else 0  # a little breakage, booked as an adjustment
            if breakage:
                bookings.append(Booking(0, level, MovementKind.ADJUSTMENT, -1, opening_at + timedelta(days=20),
                                        _("Damaged in storage.")))  # fmt: skip
            bookings.append(Booking(0, level, MovementKind.RECEIPT, opening + breakage, opening_at,
                                    _("Opening stock.")))  # fmt: skip
            free += opening
            remaining -= opening
        last_at = opening_at
        for position, quantity in events:
            plan = plans[position]
            if free < quantity:
                amount = min(max(restock, quantity - free), remaining)
                at = _morning(plan.placed_at or plan.created_at, tz)
                bookings.append(Booking(position // batch_size, level, MovementKind.RECEIPT, amount, at,
                                        _("Delivery from supplier.")))  # fmt: skip
                free += amount
                remaining -= amount
            free -= quantity  # ``remaining`` is unchanged: the demand it counted is now met
            last_at = plan.placed_at or plan.created_at
        if free < target:
            bookings.append(Booking(last_batch, level, MovementKind.RECEIPT, target - free, _morning(last_at, tz),
                                    _("Delivery from supplier.")))  # fmt: skip
    return bookings


# --- rows ---------------------------------------------------------------------------------


class DemoWriter:
    """Turns plans into rows, one transaction per batch, with explicit ids."""

    def __init__(self, *, ref: Reference, batch_size: int, report: Callable[[str], None], started: float) -> None:
        self.ref = ref
        self.batch_size = batch_size
        self.report = report
        self.started = started
        self.next_id = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in WRITTEN_MODELS}
        self.location_ids = {loc.code: loc.pk for loc in ref.locations.values()}
        self.users = {name: user.pk for name, user in ref.users.items()}
        self.tables = {model: Table(model) for model in WRITTEN_MODELS}

    def _id(self, model: type[Model]) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def write(self, plans: list[OrderPlan], bookings: list[Booking]) -> None:
        by_batch: dict[int, list[Booking]] = defaultdict(list)
        for booking in bookings:
            by_batch[booking.batch].append(booking)
        batches = max(math.ceil(len(plans) / self.batch_size), 1 if bookings else 0)
        for batch in range(batches):
            chunk = plans[batch * self.batch_size : (batch + 1) * self.batch_size]
            with transaction.atomic():
                self._write_batch(chunk, by_batch.get(batch, []))
                self._reset_sequences()
            done = min(len(plans), (batch + 1) * self.batch_size)
            self.report(f"  written {done:,} / {len(plans):,} · {clock.monotonic() - self.started:.1f} s")

    def _reset_sequences(self) -> None:
        """Explicit ids bypass PostgreSQL's sequences: move them past what we wrote."""
        statements = connection.ops.sequence_reset_sql(no_style(), WRITTEN_MODELS)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    def _write_batch(self, plans: list[OrderPlan], bookings: list[Booking]) -> None:
        tables = self.tables
        on_hand: dict[int, int] = defaultdict(int)
        reserved: dict[int, int] = defaultdict(int)
        channels = self.ref.channels
        methods = self.ref.methods
        shop_id = self.location_ids["shop"]
        for booking in bookings:
            level = booking.level
            tables[StockMovement].add(
                id=self._id(StockMovement), variant_id=level.variant_id, location_id=level.location_id,
                kind=booking.kind, quantity=booking.quantity, reason=booking.reason, by_id=self.users["warehouse"],
                created_at=booking.at,
              )  # fmt: skip
            on_hand[level.id] += booking.quantity
        for plan in plans:
            order_id = self._id(Order)
            number = None if plan.placed_at is None else str(settings.ORDER_NUMBER_START + order_id)
            location_id = self.location_ids[plan.location_code]
            tables[Order].add(
                id=order_id, number=number, tracking_code=new_tracking_code(), channel_id=channels[plan.channel].pk,
                customer_id=plan.customer.id if plan.customer else None,
                external_reference=f"{data.DEMO_REFERENCE_PREFIX}{plan.index}", status=plan.status,
                payment_status=plan.payment_status, fulfilment_status=plan.fulfilment_status, email=plan.email,
                phone=plan.phone, customer_name=plan.customer_name, billing_address=plan.billing_address,
                shipping_address=plan.shipping_address,
                shipping_method_id=methods[plan.method_code].pk if plan.method_code else None,
                pickup_location_id=shop_id if plan.method_code == "pickup-shop" else None,
                subtotal_amount=plan.subtotal, shipping_amount=plan.shipping, shipping_tax_rate=plan.shipping_tax_rate,
                tax_amount=plan.tax, total_amount=plan.total, notes=plan.notes, created_by_id=plan.created_by,
                placed_at=plan.placed_at, completed_at=plan.completed_at, cancelled_at=plan.cancelled_at,
                created_at=plan.created_at, updated_at=plan.updated_at,
              )  # fmt: skip
            line_ids = []
            for line in plan.lines:
                line_id = self._id(OrderLine)
                line_ids.append(line_id)
                variant = line.variant
                tables[OrderLine].add(
                    id=line_id, order_id=order_id, variant_id=variant.id, sku=variant.sku,
                    product_name=variant.product_name, variant_name=variant.variant_name, quantity=line.quantity,
                    quantity_backordered=line.backordered, unit_price_amount=line.unit_price,
                    tax_rate=variant.tax_rate, tax_category=variant.tax_category, line_total_amount=line.net,
                  )  # fmt: skip
                if line.reserved:
                    level = self.ref.levels[(variant.id, location_id)]
                    tables[Reservation].add(
                        id=self._id(Reservation), order_line_id=line_id, stock_level_id=level.id,
                        quantity=line.reserved, created_at=plan.placed_at,
                      )  # fmt: skip
                    reserved[level.id] += line.reserved
            for shipment in plan.shipments:
                shipment_id = self._id(Shipment)
                tables[Shipment].add(
                    id=shipment_id, order_id=order_id, method_id=shipment.method_id, location_id=shipment.location_id,
                    status=shipment.status, carrier=shipment.carrier, tracking_number=shipment.tracking_number,
                    collected_by=shipment.collected_by, created_by_id=self.users["warehouse"],
                    created_at=shipment.created_at, packed_at=shipment.packed_at, shipped_at=shipment.shipped_at,
                    delivered_at=shipment.delivered_at,
                  )  # fmt: skip
                for index, quantity in shipment.lines:
                    line = plan.lines[index]
                    tables[ShipmentLine].add(
                        id=self._id(ShipmentLine), shipment_id=shipment_id, order_line_id=line_ids[index],
                        quantity=quantity,
                      )  # fmt: skip
                    level = self.ref.levels[(line.variant.id, shipment.location_id)]
                    tables[StockMovement].add(
                        id=self._id(StockMovement), variant_id=line.variant.id, location_id=shipment.location_id,
                        kind=MovementKind.SALE, quantity=-quantity, order_line_id=line_ids[index],
                        reason=_("Order %(number)s") % {"number": number}, by_id=self.users["warehouse"],
                        created_at=shipment.consumed_at,
                      )  # fmt: skip
                    on_hand[level.id] -= quantity
                for status, description, place, source, external_id, at in shipment.events:
                    tables[TrackingEvent].add(
                        id=self._id(TrackingEvent), shipment_id=shipment_id, status=status, description=description,
                        place=place, source=source, external_id=external_id, occurred_at=at, created_at=at,
                      )  # fmt: skip
            for payment in plan.payments:
                tables[Payment].add(
                    id=self._id(Payment), order_id=order_id, kind=payment.kind, method=payment.method,
                    amount=payment.amount, currency=settings.STORE_CURRENCY,
                    reference=payment.reference.format(number=number), reason=payment.reason,
                    provider=payment.provider, provider_payment_id=payment.provider_payment_id,
                    recorded_by_id=payment.recorded_by, created_at=payment.at,
                  )  # fmt: skip
            for kind, old, new, message, by, at in plan.events:
                tables[OrderEvent].add(
                    id=self._id(OrderEvent), order_id=order_id, kind=kind, old_value=old, new_value=new,
                    message=message, by_id=by, created_at=at,
                  )  # fmt: skip
        with connection.cursor() as cursor:
            for model in WRITTEN_MODELS:  # parents before children
                tables[model].insert(cursor)
        now = timezone.now()
        for level_id in sorted(set(on_hand) | set(reserved)):
            StockLevel.objects.filter(pk=level_id).update(
                on_hand=F("on_hand") + on_hand[level_id], reserved=F("reserved") + reserved[level_id], updated_at=now
            )
