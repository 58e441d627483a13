"""Plan the demo orders in Python, before anything is written.

Each order is planned from its own ``random.Random(seed, index)``: the content of demo
order *n* does not depend on which other orders already exist, so a later run can create
just the missing ones. The plans are small slotted objects; the writer turns them into
rows in batches. Times are aware datetimes in UTC, chosen in the store's local hours.
"""

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import accumulate

from django.conf import settings

from billing.models import PaymentKind, PaymentMethod
from catalog.money import ZERO, line_net, vat_breakdown
from orders.management.demo import data
from orders.management.demo.reference import CustomerInfo, Reference, VariantInfo
from orders.management.demo.text import _, forget_translations
from orders.models import FulfilmentStatus, OrderEventKind, OrderStatus, PaymentStatus
from shipping.models import ShipmentStatus, TrackingEventSource


class Weighted:
    """A fixed weighted choice drawn with one random number.

    ``random.choices`` rebuilds its cumulative table on every call; these tables are used
    for every order.
    """

    __slots__ = ("cum", "total", "values")

    def __init__(self, values, weights) -> None:
        self.values = list(values)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect_right(self.cum, rng.random() * self.total)]


DAYS = 90
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Volume per weekday (Mon..Sun) and the channel mix of each kind of day.
WEEKDAY_VOLUME = [1.05, 1.0, 1.0, 1.05, 1.15, 1.1, 0.6]
CHANNEL_MIX = {
    "weekday": Weighted(["web", "phone", "in_person", "wholesale", "marketplace"], [42, 12, 22, 6, 18]),
    "saturday": Weighted(["web", "phone", "in_person", "marketplace"], [40, 3, 40, 17]),
    "sunday": Weighted(["web", "marketplace"], [70, 30]),
}
# Local opening hours per channel: (first hour, end hour) per weekday; absent = closed.
HOURS = {
    "web": {d: (7, 23) for d in range(7)},
    "marketplace": {d: (7, 23) for d in range(7)},
    "phone": {**{d: (9, 18) for d in range(5)}, 5: (10, 14)},
    "in_person": {**{d: (10, 19) for d in range(5)}, 5: (10, 18)},
    "wholesale": {d: (8, 17) for d in range(5)},
}
WAREHOUSE_HOURS = {d: (8, 18) for d in range(5)}
SHOP_HOURS = HOURS["in_person"]
DELIVERY_HOURS = {d: (9, 19) for d in range(6)}
WEB_HOURS = Weighted(range(7, 23), [2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 7, 9, 10, 10, 8])  # evenings busiest

LINE_COUNTS = {
    "web": Weighted([1, 2, 3, 4], [45, 30, 15, 10]),
    "phone": Weighted([1, 2, 3], [50, 35, 15]),
    "in_person": Weighted([1, 2, 3], [55, 30, 15]),
    "marketplace": Weighted([1, 2], [80, 20]),
    "wholesale": Weighted([3, 4, 5, 6, 8], [20, 25, 25, 20, 10]),
}
RETAIL_QUANTITIES = Weighted([1, 2, 3, 4], [78, 17, 4, 1])
WHOLESALE_QUANTITIES = Weighted([6, 10, 12, 20, 24, 50], [20, 25, 25, 12, 12, 6])  # tiers from 10 and 50
METHODS = {  # shipping method codes per channel; None = taken at the counter
    "web": Weighted(["dhl-standard", "dhl-express", "pickup-shop"], [70, 8, 22]),
    "phone": Weighted(["dhl-standard", "dhl-express", "pickup-shop"], [65, 10, 25]),
    "marketplace": Weighted(["dhl-standard", "dhl-express"], [88, 12]),
    "wholesale": Weighted(["freight"], [1]),
    "in_person": Weighted([None], [1]),
}
_S = OrderStatus
STATUS_BY_AGE = [  # (younger than days, statuses) for orders that are not sold at the counter
    (1, Weighted([_S.PLACED, _S.PROCESSING, _S.COMPLETED, _S.CANCELLED], [50, 30, 17, 3])),
    (3, Weighted([_S.PLACED, _S.PROCESSING, _S.COMPLETED, _S.CANCELLED], [15, 30, 50, 5])),
    (7, Weighted([_S.PLACED, _S.PROCESSING, _S.COMPLETED, _S.CANCELLED], [4, 10, 80, 6])),
    (DAYS + 1, Weighted([_S.PLACED, _S.PROCESSING, _S.COMPLETED, _S.CANCELLED], [0.8, 1.2, 92, 6])),
]
OPEN = (OrderStatus.PLACED, OrderStatus.PROCESSING)


@dataclass(slots=True)
class LinePlan:
    variant: VariantInfo
    quantity: int
    unit_price: Decimal
    net: Decimal
    shipped: int = 0
    reserved: int = 0
    backordered: int = 0


@dataclass(slots=True)
class ShipmentPlan:
    method_id: int | None
    location_id: int
    status: str
    carrier: str
    tracking_number: str
    collected_by: str
    created_at: datetime
    packed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    consumed_at: datetime  # when the goods left the shelf: the time of the sale movements
    lines: list[tuple[int, int]]  # (index into OrderPlan.lines, quantity)
    events: list[tuple] = field(default_factory=list)  # (status, description, place, source, external_id, at)


@dataclass(slots=True)
class PaymentPlan:
    kind: str
    method: str
    amount: Decimal
    at: datetime
    reference: str = ""  # may hold "{number}", filled in once the order has its number
    reason: str = ""
    provider: str = ""
    provider_payment_id: str = ""
    recorded_by: int | None = None


@dataclass(slots=True)
class OrderPlan:
    index: int
    channel: str
    placed_at: datetime | None
    created_at: datetime
    status: str = OrderStatus.DRAFT
    payment_status: str = PaymentStatus.UNPAID
    fulfilment_status: str = FulfilmentStatus.UNFULFILLED
    customer: CustomerInfo | None = None
    customer_name: str = ""
    email: str = ""
    phone: str = ""
    billing_address: dict = field(default_factory=dict)
    shipping_address: dict = field(default_factory=dict)
    method_code: str | None = None
    location_code: str = "warehouse"
    subtotal: Decimal = ZERO
    shipping: Decimal = ZERO
    shipping_tax_rate: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO
    notes: str = ""
    created_by: int | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    updated_at: datetime | None = None
    lines: list[LinePlan] = field(default_factory=list)
    shipments: list[ShipmentPlan] = field(default_factory=list)
    payments: list[PaymentPlan] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # (kind, old, new, message, by, at)


class Planner:
    """Turns (seed, index) into an order plan that fits the store and the clock."""

    def __init__(self, *, ref: Reference, seed: int, now: datetime, tz: tzinfo) -> None:
        self.ref = ref
        self.seed = seed
        self.now = now
        self.tz = tz
        self.today = now.astimezone(tz).date()
        self.currency = settings.STORE_CURRENCY
        self.users = {name: user.pk for name, user in ref.users.items()}
        self.channel_names = {code: channel.name for code, channel in ref.channels.items()}
        self.shop = ref.locations["shop"]
        self.warehouse = ref.locations["warehouse"]
        self.popular = {
            code: Weighted(variants, [v.popularity for v in variants])
            for code, variants in ref.channel_variants.items()
            if variants
        }
        forget_translations()  # the language may differ from the last run in this process
        self.method_labels = {method.value: str(method.label) for method in PaymentMethod}
        self.sold_out = {
            code: [v for v in variants if v.allow_backorder and v.sku in data.SOLD_OUT_AT_WAREHOUSE]
            for code, variants in ref.channel_variants.items()
        }

    # --- when ---------------------------------------------------------------------------
    def timestamps(self, count: int) -> list[tuple[datetime, str]]:
        """``count`` (placed at, channel) pairs over the last 90 days, oldest first."""
        rng = random.Random(self.seed)
        days = [self.today - timedelta(days=d) for d in range(DAYS)]
        local_now = self.now.astimezone(self.tz)
        elapsed = (local_now.hour * 60 + local_now.minute) / (24 * 60)
        weights = []
        for d, day in enumerate(days):
            growth = 0.6 + 0.8 * (1 - d / (DAYS - 1))  # recent days are busier: the shop is growing
            weight = growth * WEEKDAY_VOLUME[day.weekday()]
            weights.append(weight * max(0.15, elapsed) if d == 0 else weight)
        picked = []
        for day in rng.choices(days, weights=weights, k=count):
            mix = "sunday" if day.weekday() == 6 else "saturday" if day.weekday() == 5 else "weekday"
            channel = CHANNEL_MIX[mix].pick(rng)
            picked.append(self._time_on(rng, day, channel))
        picked.sort()
        return picked

    def _time_on(self, rng: random.Random, day: date, channel: str) -> tuple[datetime, str]:
        first, end = HOURS[channel][day.weekday()]
        hour = WEB_HOURS.pick(rng) if channel in ("web", "marketplace") else rng.randrange(first, end)
        at = self._local(day, hour) + timedelta(seconds=rng.randrange(3600))
        if at < self.now - MINUTE:
            return at, channel
        # Today, later than now: the order came in earlier, from the web if the shop was closed.
        start = self._local(day, first)
        if start < self.now - MINUTE:
            return start + (self.now - MINUTE - start) * rng.random(), channel
        start = self._local(day, 0)
        if start < self.now - MINUTE:
            return start + (self.now - MINUTE - start) * rng.random(), "web"
        return self.now - HOUR * rng.uniform(1, 3), "web"

    def _local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def _open(self, rng: random.Random, at: datetime, hours: dict[int, tuple[int, int]]) -> datetime:
        """``at``, or the start of the next opening (plus a few minutes) if closed then."""
        local = at.astimezone(self.tz)
        day = local.date()
        span = hours.get(day.weekday())
        if span and span[0] <= local.hour < span[1]:
            return at
        if span and local.hour < span[0]:
            return self._local(day, span[0], rng.randrange(60))
        for _step in range(7):
            day += DAY
            span = hours.get(day.weekday())
            if span:
                return self._local(day, span[0], rng.randrange(60))
        return at

    # --- what ---------------------------------------------------------------------------
    def forced_statuses(self, stamps: list[tuple[datetime, str]]) -> dict[int, str]:
        """A few of the newest orders in each open state, so that even a small demo shows them all.

        A quote being typed up, orders that just came in, two waiting to be packed: chosen
        from the timestamps alone, so the same orders are chosen whichever already exist.
        """
        wanted = [
            (OrderStatus.DRAFT, {"phone", "wholesale"}, 0, 2),
            (OrderStatus.PLACED, {"web", "marketplace"}, 0, 3),
            (OrderStatus.PROCESSING, {"web", "marketplace", "wholesale"}, 1, 2),
        ]
        forced: dict[int, str] = {}
        for status, channels, min_age_days, count in wanted:
            for index in range(len(stamps) - 1, -1, -1):
                if count == 0:
                    break
                at, channel = stamps[index]
                if channel in channels and index not in forced and self.now - at >= DAY * min_age_days:
                    forced[index] = status
                    count -= 1
        return forced

    def plan(self, index: int, placed_at: datetime, channel: str, *, status: str | None = None) -> OrderPlan:
        rng = random.Random(self.seed * 1_000_003 + index)
        age_days = (self.now - placed_at) / DAY
        order = OrderPlan(index=index, channel=channel, placed_at=placed_at, created_at=placed_at)
        order.method_code = METHODS[channel].pick(rng)
        pickup = order.method_code == "pickup-shop" or channel == "in_person"
        order.location_code = "shop" if pickup else "warehouse"
        order.status = self._status(rng, channel, age_days)
        if status is not None:
            order.status = status
        self._who(rng, order)
        self._lines(rng, order, backorder=status == OrderStatus.PLACED)
        self._totals(order)
        if channel in ("phone", "in_person", "wholesale"):
            order.created_by = self.users["staff"]
        if rng.random() < 0.04:
            order.notes = rng.choice(data.ORDER_NOTES)
        if order.status == OrderStatus.DRAFT:
            order.placed_at = None
            who = order.customer_name or _("a customer")
            note = _("Draft started: quote for %(name)s.") % {"name": who}
            order.events.append((OrderEventKind.NOTE, "", "", note, order.created_by, placed_at))
        else:
            self._lifecycle(rng, order)
        order.updated_at = max(e[-1] for e in order.events) if order.events else order.created_at
        return order

    def _who(self, rng: random.Random, order: OrderPlan) -> None:
        channel = order.channel
        customer = None
        if channel == "wholesale":
            customer = rng.choice(self.ref.wholesale_customers) if self.ref.wholesale_customers else None
        elif (
            channel == "phone"
            or (channel == "web" and rng.random() < 0.65)
            or (channel == "in_person" and rng.random() < 0.25)
        ):
            customer = rng.choice(self.ref.private_customers) if self.ref.private_customers else None
        if customer is not None:
            order.customer = customer
            order.customer_name = customer.name
            order.email = customer.email
            order.phone = customer.phone
            order.billing_address = customer.billing_address
            order.shipping_address = customer.shipping_address
            return
        if channel == "in_person":
            return  # a walk-in customer: no name, no address
        first, last = rng.choice(data.PRIVATE_CUSTOMERS)[0], rng.choice(data.PRIVATE_CUSTOMERS)[1]
        postal_code, city = rng.choice(data.CITIES)
        address = {
            "name": f"{first} {last}", "company": "", "line1": f"{rng.choice(data.STREETS)} {rng.randrange(1, 140)}",
            "line2": "", "postal_code": postal_code, "city": city, "country": "DE", "phone": "",
        }  # fmt: skip
        order.customer_name = address["name"]
        if channel == "marketplace":
            order.email = f"{rng.getrandbits(48):012x}@buyer.marketplace.example"
        else:  # a guest checkout on the web shop
            order.email = f"{first.lower()}.{last.lower()}{rng.randrange(10, 99)}@example.net".translate(
                str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ı": "i"})
            )
        order.billing_address = address
        order.shipping_address = address

    def _lines(self, rng: random.Random, order: OrderPlan, *, backorder: bool = False) -> None:
        variants = self.ref.channel_variants[order.channel]
        price_list_id = self.ref.channels[order.channel].price_list_id
        count = min(LINE_COUNTS[order.channel].pick(rng), len(variants))
        quantities = WHOLESALE_QUANTITIES if order.channel == "wholesale" else RETAIL_QUANTITIES
        chosen: dict[int, VariantInfo] = {}
        while len(chosen) < count:
            variant = self.popular[order.channel].pick(rng)
            chosen.setdefault(variant.id, variant)
        backorderable = self.sold_out.get(order.channel)
        wanted = backorder or rng.random() < 0.3
        if backorderable and order.status in OPEN and order.location_code == "warehouse" and wanted:
            variant = rng.choice(backorderable)  # sold out, but may be ordered: it will be backordered
            chosen.setdefault(variant.id, variant)
        for variant in chosen.values():
            quantity = quantities.pick(rng)
            price = self.ref.unit_price(price_list_id=price_list_id, variant_id=variant.id, quantity=quantity)
            order.lines.append(LinePlan(variant, quantity, price, line_net(unit_price=price, quantity=quantity)))

    def _totals(self, order: OrderPlan) -> None:
        order.subtotal = sum((line.net for line in order.lines), ZERO)
        nets = [(line.variant.tax_rate, line.net) for line in order.lines]
        if order.method_code:
            method = self.ref.methods[order.method_code]
            free = method.free_above_amount is not None and order.subtotal >= method.free_above_amount
            order.shipping = ZERO if free else method.price_amount
            order.shipping_tax_rate = data.SHIPPING_TAX_RATE
            if order.shipping:
                nets.append((data.SHIPPING_TAX_RATE, order.shipping))
        order.tax = sum((vat for _basis, vat in vat_breakdown(nets).values()), ZERO)
        order.total = order.subtotal + order.shipping + order.tax

    def _status(self, rng: random.Random, channel: str, age_days: float) -> str:
        if channel == "in_person":
            return OrderStatus.CANCELLED if rng.random() < 0.03 else OrderStatus.COMPLETED
        if channel in ("phone", "wholesale") and rng.random() < (
            0.2 if age_days < 3 else 0.1 if age_days < 14 else 0.03
        ):
            return OrderStatus.DRAFT
        weights = next(w for limit, w in STATUS_BY_AGE if age_days < limit)
        return weights.pick(rng)

    # --- how it went ------------------------------------------------------------------------
    def _lifecycle(self, rng: random.Random, order: OrderPlan) -> None:
        """Payments, shipments and events that lead to the planned status, never after now."""
        t0 = order.placed_at
        channel = order.channel
        location = self.shop if order.location_code == "shop" else self.warehouse
        placed_msg = _("Placed via %(channel)s.") % {"channel": self.channel_names[channel]}
        order.events.append((OrderEventKind.PLACED, OrderStatus.DRAFT, OrderStatus.PLACED, placed_msg,
                             order.created_by, t0))  # fmt: skip
        if order.status == OrderStatus.CANCELLED:
            self._cancel(rng, order)
        elif channel == "in_person":
            self._counter_sale(rng, order)
        else:
            # Phone orders for pickup are paid at the counter when collected.
            pays_at_pickup = channel == "phone" and order.method_code == "pickup-shop"
            if pays_at_pickup and order.status == OrderStatus.PROCESSING:
                order.status = OrderStatus.PLACED
            must_pay = order.status in (OrderStatus.PROCESSING, OrderStatus.COMPLETED) and not pays_at_pickup
            if order.status == OrderStatus.PLACED and channel in ("web", "marketplace"):
                must_pay = channel == "marketplace" or rng.random() < 0.85  # the rest wait for their transfer
            ready = t0
            if must_pay:
                method = self._method_for(rng, order)
                paid_at = self._payment_time(rng, order, method)
                if paid_at > self.now:
                    paid_at = t0 + (self.now - t0) * rng.uniform(0.1, 0.5)
                self._pay(rng, order, paid_at, method=method)
                ready = paid_at
            if order.status != OrderStatus.PLACED:
                hours = SHOP_HOURS if order.location_code == "shop" else WAREHOUSE_HOURS
                processing_at = self._open(rng, ready + MINUTE * rng.randrange(20, 600), hours)
                if processing_at > self.now:
                    processing_at = ready + (self.now - ready) * rng.uniform(0.3, 0.9)
                if order.location_code == "shop":
                    self._pickup(rng, order, processing_at, pays_at_pickup)
                else:
                    self._mark_processing(order, processing_at)
                    self._deliver(rng, order, processing_at)
        self._derive(order)
        if order.status in OPEN:
            self._reserve(order, location)

    def _mark_processing(self, order: OrderPlan, at: datetime) -> None:
        by = self.users["warehouse" if order.location_code == "warehouse" else "staff"]
        order.events.append((OrderEventKind.STATUS, OrderStatus.PLACED, OrderStatus.PROCESSING, "", by, at))

    def _payment_time(self, rng: random.Random, order: OrderPlan, method: str) -> datetime:
        t0 = order.placed_at
        if method == PaymentMethod.BANK_TRANSFER:  # booked when it shows on the bank statement
            days = rng.uniform(1, 10) if order.channel == "wholesale" else rng.uniform(0.2, 3)
            return self._open(rng, t0 + DAY * days, WAREHOUSE_HOURS)
        return t0 + MINUTE * rng.uniform(0.5, 6)  # online checkout, or a card taken on the phone

    def _method_for(self, rng: random.Random, order: OrderPlan, *, at_counter: bool = False) -> str:
        if at_counter:
            return PaymentMethod.CASH if rng.random() < 0.55 else PaymentMethod.CARD
        if order.channel in ("web", "marketplace"):
            return PaymentMethod.ONLINE
        if order.channel == "wholesale":
            return PaymentMethod.BANK_TRANSFER
        return PaymentMethod.CARD if rng.random() < 0.4 else PaymentMethod.BANK_TRANSFER

    def _pay(
        self, rng: random.Random, order: OrderPlan, at: datetime, *, at_counter: bool = False, method: str = ""
    ) -> PaymentPlan:
        method = method or self._method_for(rng, order, at_counter=at_counter)
        payment = PaymentPlan(kind=PaymentKind.PAYMENT, method=method, amount=order.total, at=at)
        if order.channel == "marketplace":
            payment.provider = "marketplace"
            payment.provider_payment_id = f"MP-{order.index:07d}-{rng.getrandbits(40):010x}"
            payment.reference = f"{rng.randrange(100, 999)}-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}"
        elif method == PaymentMethod.ONLINE:
            payment.provider = "stripe"
            payment.provider_payment_id = f"pi_{order.index:07d}{rng.getrandbits(64):016x}"
        elif method == PaymentMethod.BANK_TRANSFER:
            payment.reference = "{number}"
            payment.recorded_by = self.users["owner"]
        else:
            payment.reference = f"TRM-{rng.randrange(10**6):06d}" if method == PaymentMethod.CARD else ""
            payment.recorded_by = self.users["staff"]
        order.payments.append(payment)
        label = self.method_labels[method]
        message = _("%(amount)s %(currency)s by %(method)s.") % {
            "amount": order.total, "currency": self.currency, "method": label,
        }  # fmt: skip
        order.events.append((OrderEventKind.PAYMENT_RECORDED, "", PaymentStatus.PAID, message, payment.recorded_by, at))
        return payment

    def _cancel(self, rng: random.Random, order: OrderPlan) -> None:
        t0 = order.placed_at
        cancelled_at = min(t0 + HOUR * rng.uniform(0.5, 40), self.now - MINUTE * rng.uniform(1, 30))
        cancelled_at = max(cancelled_at, t0 + MINUTE)
        reason = rng.choice(data.CANCEL_REASONS)
        paid = order.channel == "marketplace" or (order.channel == "web" and rng.random() < 0.6)
        if paid:
            paid_at = t0 + (cancelled_at - t0) * rng.uniform(0.01, 0.1)
            payment = self._pay(rng, order, paid_at)
            refund = PaymentPlan(kind=PaymentKind.REFUND, method=payment.method, amount=order.total, at=cancelled_at,
                                 reason=reason, provider=payment.provider, recorded_by=self.users["owner"])  # fmt: skip
            if payment.provider_payment_id:
                refund.provider_payment_id = payment.provider_payment_id.replace("pi_", "re_").replace("MP-", "MR-")
            order.payments.append(refund)
            order.events.append((OrderEventKind.REFUNDED, PaymentStatus.PAID, PaymentStatus.REFUNDED,
                                 _("%(amount)s refunded.") % {"amount": order.total}, self.users["owner"],
                                 cancelled_at))  # fmt: skip
        order.events.append((OrderEventKind.STATUS, OrderStatus.PLACED, OrderStatus.CANCELLED, reason,
                             self.users["owner"], cancelled_at))  # fmt: skip
        order.cancelled_at = cancelled_at

    def _counter_sale(self, rng: random.Random, order: OrderPlan) -> None:
        t0 = order.placed_at
        done = t0 + MINUTE * rng.uniform(1, 4)
        self._pay(rng, order, done, at_counter=True)
        name = order.customer_name or _("Walk-in customer")
        shipment = ShipmentPlan(
            method_id=None, location_id=self.shop.pk, status=ShipmentStatus.PICKED_UP, carrier="", tracking_number="",
            collected_by=name, created_at=done, packed_at=done, shipped_at=done, delivered_at=done, consumed_at=done,
            lines=[(i, line.quantity) for i, line in enumerate(order.lines)],
        )  # fmt: skip
        shipment.events.append((ShipmentStatus.PICKED_UP, _("Sold at the counter."), self.shop.name,
                                TrackingEventSource.MANUAL, "", done))  # fmt: skip
        order.shipments.append(shipment)
        order.events.append((OrderEventKind.SHIPMENT, "", ShipmentStatus.PICKED_UP, _("Handed over at the counter."),
                             self.users["staff"], done))  # fmt: skip
        order.events.append((OrderEventKind.STATUS, OrderStatus.PLACED, OrderStatus.COMPLETED, "",
                             self.users["staff"], done))  # fmt: skip
        order.completed_at = done

    def _pickup(self, rng: random.Random, order: OrderPlan, processing_at: datetime, pays_at_pickup: bool) -> None:
        ready_at = self._open(rng, processing_at + MINUTE * rng.randrange(15, 180), SHOP_HOURS)
        picked_at = self._open(rng, ready_at + HOUR * rng.uniform(1, 60), SHOP_HOURS)
        if order.status == OrderStatus.COMPLETED and picked_at > self.now:
            # Not collected yet: waiting on the shelf (and, if paid at pickup, not paid yet).
            order.status = OrderStatus.PLACED if pays_at_pickup else OrderStatus.PROCESSING
        if order.status == OrderStatus.PLACED:
            return
        self._mark_processing(order, processing_at)
        if order.status != OrderStatus.COMPLETED:
            return
        if pays_at_pickup:
            self._pay(rng, order, picked_at, at_counter=True)
        name = order.customer_name or _("Customer")
        shipment = ShipmentPlan(
            method_id=self.ref.methods["pickup-shop"].pk, location_id=self.shop.pk, status=ShipmentStatus.PICKED_UP,
            carrier="", tracking_number="", collected_by=name, created_at=ready_at, packed_at=ready_at,
            shipped_at=picked_at, delivered_at=picked_at, consumed_at=picked_at,
            lines=[(i, line.quantity) for i, line in enumerate(order.lines)],
        )  # fmt: skip
        shipment.events.append((ShipmentStatus.READY_FOR_PICKUP, _("Ready for pickup."), self.shop.name,
                                TrackingEventSource.MANUAL, "", ready_at))  # fmt: skip
        shipment.events.append((ShipmentStatus.PICKED_UP, _("Collected by %(name)s.") % {"name": name},
                                self.shop.name, TrackingEventSource.MANUAL, "", picked_at))  # fmt: skip
        order.shipments.append(shipment)
        order.events.append((OrderEventKind.SHIPMENT, "", ShipmentStatus.PICKED_UP,
                             _("Picked up at %(shop)s.") % {"shop": self.shop.name}, self.users["staff"],
                             picked_at))  # fmt: skip
        order.events.append((OrderEventKind.STATUS, OrderStatus.PROCESSING, OrderStatus.COMPLETED, "",
                             self.users["staff"], picked_at))  # fmt: skip
        order.completed_at = picked_at

    def _deliver(self, rng: random.Random, order: OrderPlan, processing_at: datetime) -> None:
        """One parcel, or two when the order was split; completed once everything has left."""
        if order.status == OrderStatus.PROCESSING:
            # Some processing orders already sent a first parcel and wait for the rest (or a backorder).
            open_lines = [i for i, line in enumerate(order.lines) if not self._sold_out(line)]
            has_backorder = len(open_lines) < len(order.lines)
            if len(order.lines) > 1 and open_lines and (has_backorder or rng.random() < 0.3):
                first = open_lines if has_backorder else open_lines[:-1]
                self._ship(rng, order, first, processing_at)
            return
        parts = [list(range(len(order.lines)))]
        if len(order.lines) > 1 and rng.random() < 0.06:
            cut = rng.randrange(1, len(order.lines))
            parts = [parts[0][:cut], parts[0][cut:]]
        at = processing_at
        for part in parts:
            shipment = self._ship(rng, order, part, at)
            if shipment is None:  # cannot have left yet: still processing
                order.status = OrderStatus.PROCESSING
                return
            at = shipment.shipped_at + DAY * rng.uniform(1, 4)
        last = order.shipments[-1]
        done = last.delivered_at or last.shipped_at
        order.events.append((OrderEventKind.STATUS, OrderStatus.PROCESSING, OrderStatus.COMPLETED, "",
                             self.users["owner"], done))  # fmt: skip
        order.completed_at = done

    def _ship(self, rng: random.Random, order: OrderPlan, part: list[int], after: datetime) -> ShipmentPlan | None:
        """A parcel with the lines in ``part``; None if it cannot have left by now."""
        method = self.ref.methods[order.method_code]
        packed_at = self._open(rng, after + MINUTE * rng.randrange(20, 240), WAREHOUSE_HOURS)
        shipped_at = packed_at + MINUTE * rng.randrange(30, 180)
        if shipped_at > self.now:
            return None
        carrier = method.carrier
        if order.method_code == "freight":
            tracking = f"SK-{rng.randrange(10**7):07d}"
            transit, source = DAY * rng.uniform(1, 3), TrackingEventSource.MANUAL
        elif order.method_code == "dhl-express":
            tracking = f"JD014600{rng.randrange(10**10):010d}"
            transit, source = HOUR * rng.uniform(16, 26), TrackingEventSource.WEBHOOK
        else:
            tracking = f"00340434{rng.randrange(10**12):012d}"
            transit, source = DAY * rng.uniform(1, 2.5), TrackingEventSource.WEBHOOK
        delivered_at = self._open(rng, shipped_at + transit, DELIVERY_HOURS)
        city = order.shipping_address.get("city", "")
        warehouse_city = self.warehouse.city
        shipment = ShipmentPlan(
            method_id=method.pk, location_id=self.warehouse.pk, status=ShipmentStatus.SHIPPED, carrier=carrier,
            tracking_number=tracking, collected_by="", created_at=packed_at - MINUTE * rng.randrange(5, 60),
            packed_at=packed_at, shipped_at=shipped_at, delivered_at=None, consumed_at=shipped_at,
            lines=[(i, order.lines[i].quantity) for i in part],
        )  # fmt: skip
        steps = [(ShipmentStatus.SHIPPED, _("Handed over to %(carrier)s.") % {"carrier": carrier}, warehouse_city,
                  shipped_at)]  # fmt: skip
        if source == TrackingEventSource.WEBHOOK:
            steps.append((ShipmentStatus.IN_TRANSIT, _("Arrived at the parcel centre."), warehouse_city,
                          shipped_at + HOUR * rng.uniform(3, 8)))  # fmt: skip
            steps.append((ShipmentStatus.OUT_FOR_DELIVERY, _("Out for delivery."), city,
                          delivered_at - HOUR * rng.uniform(1, 5)))  # fmt: skip
        message = rng.choice([_("Delivered to the recipient."), _("Delivered to a neighbour.")])
        steps.append((ShipmentStatus.DELIVERED, message, city, delivered_at))
        steps = [s for s in steps if s[-1] <= self.now]
        steps.sort(key=lambda s: s[-1])
        for n, (status, description, place, at) in enumerate(steps):
            external = f"{tracking}-{n + 1}" if source == TrackingEventSource.WEBHOOK else ""
            shipment.events.append((status, description, place, source, external, at))
        shipment.status = steps[-1][0]
        if shipment.status == ShipmentStatus.DELIVERED:
            shipment.delivered_at = delivered_at
        order.shipments.append(shipment)
        order.events.append((OrderEventKind.SHIPMENT, "", ShipmentStatus.SHIPPED,
                             _("Shipped with %(carrier)s, tracking number %(number)s.")
                             % {"carrier": carrier, "number": tracking}, self.users["warehouse"],
                             shipped_at))  # fmt: skip
        return shipment

    def _sold_out(self, line: LinePlan) -> bool:
        return line.variant.allow_backorder and line.variant.sku in data.SOLD_OUT_AT_WAREHOUSE

    def _reserve(self, order: OrderPlan, location) -> None:
        """What an open order has not shipped is reserved, or backordered if sold out."""
        shipped: dict[int, int] = {}
        for shipment in order.shipments:
            for i, quantity in shipment.lines:
                shipped[i] = shipped.get(i, 0) + quantity
        for i, line in enumerate(order.lines):
            line.shipped = shipped.get(i, 0)
            rest = line.quantity - line.shipped
            if location.pk == self.warehouse.pk and self._sold_out(line):
                line.backordered = rest
            else:
                line.reserved = rest
        backordered = [line for line in order.lines if line.backordered]
        for line in backordered:
            message = _("%(quantity)s × %(sku)s backordered: out of stock at %(location)s.") % {
                "quantity": line.backordered, "sku": line.variant.sku, "location": location.name,
            }  # fmt: skip
            order.events.append((OrderEventKind.STOCK, "", "", message, None, order.placed_at))

    def _derive(self, order: OrderPlan) -> None:
        """Payment and fulfilment statuses from the payments and shipments, as the services would."""
        shipped: dict[int, int] = {}
        for shipment in order.shipments:
            for i, quantity in shipment.lines:
                shipped[i] = shipped.get(i, 0) + quantity
        for i, line in enumerate(order.lines):
            line.shipped = shipped.get(i, 0)
        paid = sum((p.amount for p in order.payments if p.kind == "payment"), ZERO)
        refunded = sum((p.amount for p in order.payments if p.kind == "refund"), ZERO)
        if refunded and refunded >= paid:
            order.payment_status = PaymentStatus.REFUNDED
        elif refunded:
            order.payment_status = PaymentStatus.PARTIALLY_REFUNDED
        elif paid >= order.total and paid:
            order.payment_status = PaymentStatus.PAID
        elif paid:
            order.payment_status = PaymentStatus.PARTIALLY_PAID
        total_shipped = sum(line.shipped for line in order.lines)
        if total_shipped == 0:
            order.fulfilment_status = FulfilmentStatus.UNFULFILLED
        elif total_shipped < sum(line.quantity for line in order.lines):
            order.fulfilment_status = FulfilmentStatus.PARTIALLY_FULFILLED
        elif all(s.status in (ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP) for s in order.shipments):
            order.fulfilment_status = FulfilmentStatus.DELIVERED
        else:
            order.fulfilment_status = FulfilmentStatus.FULFILLED
