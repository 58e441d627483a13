"""Every change of stock goes through here: one transaction each, a ledger row each.

Correctness does not depend on ``select_for_update`` (a no-op on SQLite): each change is a
single guarded UPDATE whose WHERE clause re-checks the quantity, so two processes that both
read "1 left" cannot both take it — the second UPDATE matches no row. The row lock that
the UPDATE takes is held only from that statement to commit. Where one operation touches
several rows, it touches them in one global order (variant, location priority, level id),
so two transactions can wait for each other only in one direction: no deadlock. The
database constraints on ``StockLevel`` stay as the last line of defence.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Variant
from inventory.exceptions import InsufficientStock, InvalidStockOperation, Shortage
from inventory.low_stock import emit_low_stock_crossings
from inventory.models import Location, MovementKind, Reservation, StockLevel, StockMovement


def _between_check_and_reserve() -> None:
    """A seam for race tests: runs after availability is read and before it is taken."""


def _level(*, variant: Variant, location: Location) -> StockLevel:
    level, _created = StockLevel.objects.get_or_create(variant=variant, location=location)
    return level


def _record(*, level: StockLevel, kind: str, quantity: int, by=None, reason: str = "", order_line_id=None) -> None:
    StockMovement.objects.create(
        variant_id=level.variant_id,
        location_id=level.location_id,
        kind=kind,
        quantity=quantity,
        reason=reason,
        order_line_id=order_line_id,
        by=by,
        created_at=timezone.now(),
    )


def _positive(quantity: int) -> None:
    if not isinstance(quantity, int) or quantity <= 0:
        raise InvalidStockOperation(_("The quantity must be a whole number above zero."))


def _take_available(*, level_id: int, quantity: int) -> bool:
    """Lower on hand by ``quantity`` if that much is not reserved; False if it is not there."""
    return bool(
        StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + quantity).update(
            on_hand=F("on_hand") - quantity
        )
    )


@transaction.atomic
def receive_stock(*, variant: Variant, location: Location, quantity: int, by=None, reason: str = "") -> StockLevel:
    """A delivery arrived: on hand goes up."""
    _positive(quantity)
    level = _level(variant=variant, location=location)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + quantity)
    _record(level=level, kind=MovementKind.RECEIPT, quantity=quantity, by=by, reason=reason)
    level.refresh_from_db()
    return level


@transaction.atomic
def adjust_stock(*, variant: Variant, location: Location, delta: int, reason: str, by=None) -> StockLevel:
    """Damaged, lost, found: a signed correction. Reserved stock cannot be written off."""
    if not isinstance(delta, int) or delta == 0:
        raise InvalidStockOperation(_("An adjustment must change the quantity by a whole number other than zero."))
    if not reason.strip():
        raise InvalidStockOperation(_("Give a reason for the adjustment."))
    level = _level(variant=variant, location=location)
    if delta > 0:
        StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + delta)
    elif not _take_available(level_id=level.pk, quantity=-delta):
        level.refresh_from_db()
        raise InsufficientStock([Shortage(sku=variant.sku, requested=-delta, available=level.available)])
    _record(level=level, kind=MovementKind.ADJUSTMENT, quantity=delta, by=by, reason=reason)
    emit_low_stock_crossings(drops=[(level.pk, -delta)])
    level.refresh_from_db()
    return level


@transaction.atomic
def count_stock(*, variant: Variant, location: Location, counted: int, by=None) -> StockLevel:
    """A stock count sets on hand to what was counted; the ledger records the difference."""
    if not isinstance(counted, int) or counted < 0:
        raise InvalidStockOperation(_("The counted quantity must be zero or more."))
    level = _level(variant=variant, location=location)
    level = StockLevel.objects.select_for_update().get(pk=level.pk)
    if counted < level.reserved:
        raise InvalidStockOperation(
            _("%(sku)s: %(reserved)s are reserved for orders at %(location)s; a count of %(counted)s is below that.")
            % {"sku": variant.sku, "reserved": level.reserved, "location": location.name, "counted": counted}
        )
    difference = counted - level.on_hand
    if difference:
        # The guard on the old value makes a concurrent change fail this count rather than be lost.
        updated = StockLevel.objects.filter(pk=level.pk, on_hand=level.on_hand).update(on_hand=counted)
        if not updated:
            raise InvalidStockOperation(_("The stock changed while it was being counted; count again."))
        _record(level=level, kind=MovementKind.COUNT, quantity=difference, by=by, reason=_("Stock count"))
        emit_low_stock_crossings(drops=[(level.pk, -difference)])
    level.refresh_from_db()
    return level


@transaction.atomic
def transfer_stock(
    *, variant: Variant, from_location: Location, to_location: Location, quantity: int, by=None, reason: str = ""
) -> tuple[StockLevel, StockLevel]:
    """Move unreserved stock between locations: one ledger row out, one in."""
    _positive(quantity)
    if from_location.pk == to_location.pk:
        raise InvalidStockOperation(_("Choose two different locations for a transfer."))
    source = _level(variant=variant, location=from_location)
    target = _level(variant=variant, location=to_location)
    if not _take_available(level_id=source.pk, quantity=quantity):
        source.refresh_from_db()
        raise InsufficientStock([Shortage(sku=variant.sku, requested=quantity, available=source.available)])
    StockLevel.objects.filter(pk=target.pk).update(on_hand=F("on_hand") + quantity)
    _record(level=source, kind=MovementKind.TRANSFER_OUT, quantity=-quantity, by=by, reason=reason)
    _record(level=target, kind=MovementKind.TRANSFER_IN, quantity=quantity, by=by, reason=reason)
    emit_low_stock_crossings(drops=[(source.pk, quantity)])
    source.refresh_from_db()
    target.refresh_from_db()
    return source, target


@dataclass(frozen=True)
class ReservationRequest:
    order_line_id: int
    variant_id: int
    sku: str
    quantity: int
    allow_backorder: bool = False


@transaction.atomic
def reserve_stock(*, requests: Sequence[ReservationRequest], location_ids: Sequence[int]) -> dict[int, int]:
    """Reserve every request at the given locations, all or nothing.

    Locations are tried by priority, and a line may be split across them. A line whose
    variant allows backorders takes what there is and the rest is backordered; any other
    shortage refuses the whole call (nothing stays reserved, the transaction rolls back)
    with every short SKU named. Returns the backordered quantity per order line id.

    A hot SKU's row is locked from its first guarded UPDATE until the caller commits, and
    every other order for that SKU waits that long; so everything that can be read is read
    before the first lock (two queries for the whole call), and only the UPDATEs and one
    bulk INSERT of the reservations run while rows are locked.
    """
    location_ids = list(location_ids)  # materialised: it is used in more than one query
    requests = sorted(requests, key=lambda r: (r.variant_id, r.order_line_id))
    for request in requests:
        _positive(request.quantity)
    levels_by_variant: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for variant_id, level_id, on_hand, reserved in (
        StockLevel.objects.filter(variant_id__in={r.variant_id for r in requests}, location_id__in=location_ids)
        .order_by("variant_id", "location__priority", "pk")
        .values_list("variant_id", "pk", "on_hand", "reserved")
    ):
        levels_by_variant[variant_id].append((level_id, on_hand, reserved))
    # One reservation row per (line, level): a later top-up (a filled backorder) adds to it.
    existing = set(
        Reservation.objects.filter(order_line_id__in={r.order_line_id for r in requests}).values_list(
            "order_line_id", "stock_level_id"
        )
    )
    _between_check_and_reserve()
    shortages: list[Shortage] = []
    backordered: dict[int, int] = {}
    taken: dict[tuple[int, int], int] = defaultdict(int)
    # Rows are locked in one global order (variant, location priority, level id): no deadlock.
    for request in requests:
        remaining = request.quantity
        for level_id, on_hand, reserved in levels_by_variant[request.variant_id]:
            if remaining == 0:
                break
            take = min(remaining, on_hand - reserved)
            while take > 0:
                if StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + take).update(
                    reserved=F("reserved") + take
                ):
                    taken[request.order_line_id, level_id] += take
                    remaining -= take
                    break
                # Someone took some meanwhile: look again at what is left here.
                on_hand, reserved = StockLevel.objects.values_list("on_hand", "reserved").get(pk=level_id)
                take = min(remaining, on_hand - reserved)
        if remaining:
            if request.allow_backorder:
                backordered[request.order_line_id] = remaining
            else:
                # What we could take is what was available at these locations.
                shortages.append(
                    Shortage(sku=request.sku, requested=request.quantity, available=request.quantity - remaining)
                )
    if shortages:
        raise InsufficientStock(shortages)
    Reservation.objects.bulk_create(
        Reservation(order_line_id=line_id, stock_level_id=level_id, quantity=quantity)
        for (line_id, level_id), quantity in taken.items()
        if (line_id, level_id) not in existing
    )
    for (line_id, level_id), quantity in taken.items():
        if (line_id, level_id) in existing:
            Reservation.objects.filter(order_line_id=line_id, stock_level_id=level_id).update(
                quantity=F("quantity") + quantity
            )
    emit_low_stock_crossings(drops=[(level_id, units) for (_line_id, level_id), units in taken.items()])
    return backordered


@transaction.atomic
def release_reservations(*, order_line_ids: Sequence[int]) -> int:
    """Give back everything reserved for these order lines (cancel, order edit). Returns units released."""
    order_line_ids = list(order_line_ids)
    released = 0
    reservations = list(Reservation.objects.filter(order_line_id__in=order_line_ids).order_by("stock_level_id", "pk"))
    for reservation in reservations:
        updated = StockLevel.objects.filter(pk=reservation.stock_level_id, reserved__gte=reservation.quantity).update(
            reserved=F("reserved") - reservation.quantity
        )
        if not updated:
            raise InvalidStockOperation(
                _("Stock level %(id)s holds less reserved stock than its reservations; run check_stock.")
                % {"id": reservation.stock_level_id}
            )
        released += reservation.quantity
        reservation.delete()
    return released


@transaction.atomic
def consume_reserved_stock(*, order_line_id: int, location: Location, quantity: int, by=None) -> None:
    """Shipping takes reserved units off the shelf: on hand and reserved both go down."""
    _positive(quantity)
    reservation = (
        Reservation.objects.select_for_update()
        .select_related("stock_level")
        .filter(order_line_id=order_line_id, stock_level__location=location)
        .first()
    )
    if reservation is None or reservation.quantity < quantity:
        held = reservation.quantity if reservation else 0
        raise InvalidStockOperation(
            _("Only %(held)s reserved at %(location)s for this line; %(quantity)s cannot be shipped from there.")
            % {"held": held, "location": location.name, "quantity": quantity}
        )
    level = reservation.stock_level
    updated = StockLevel.objects.filter(pk=level.pk, reserved__gte=quantity, on_hand__gte=quantity).update(
        on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity
    )
    if not updated:
        raise InvalidStockOperation(_("The reserved stock is no longer there; run check_stock."))
    if reservation.quantity == quantity:
        reservation.delete()
    else:
        Reservation.objects.filter(pk=reservation.pk).update(quantity=F("quantity") - quantity)
    _record(level=level, kind=MovementKind.SALE, quantity=-quantity, by=by, order_line_id=order_line_id)


@transaction.atomic
def return_to_stock(
    *, variant: Variant, location: Location, quantity: int, by=None, reason: str = "", order_line_id: int | None = None
) -> StockLevel:
    """A customer return comes back on the shelf (or to the damaged-goods location)."""
    _positive(quantity)
    level = _level(variant=variant, location=location)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + quantity)
    _record(level=level, kind=MovementKind.RETURN, quantity=quantity, by=by, reason=reason, order_line_id=order_line_id)
    level.refresh_from_db()
    return level


@transaction.atomic
def import_stock_count(*, counts: Sequence[tuple[Variant, Location, int]], by=None) -> dict[str, int]:
    """Apply a whole stock-count file in one transaction: one refused row rolls back all.

    Returns how many rows changed a level and by how many units in total.
    """
    before = {
        (level.variant_id, level.location_id): level.on_hand
        for level in StockLevel.objects.filter(
            variant__in=[variant for variant, _location, _counted in counts],
            location__in=[location for _variant, location, _counted in counts],
        )
    }
    changed = units = 0
    for variant, location, counted in counts:
        count_stock(variant=variant, location=location, counted=counted, by=by)
        difference = counted - before.get((variant.pk, location.pk), 0)
        if difference:
            changed += 1
            units += difference
    return {"rows": len(counts), "changed": changed, "unchanged": len(counts) - changed, "units": units}
