"""Shipments: from the shelf to the customer, through the one state table.

Every function here is one transaction: it locks the shipment (or order) row, asks
``SHIPMENT_TRANSITIONS`` whether the move is allowed, consumes the reserved stock when the
goods leave us, keeps the order's fulfilment status in step and completes the order once
it is paid and everything has arrived. E-mails go out after commit, each once.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log
from inventory.exceptions import InventoryError
from inventory.models import Location, Reservation
from inventory.services import consume_reserved_stock
from orders.models import FulfilmentStatus, Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from orders.services import complete_order, sync_fulfilment_status
from shipping.exceptions import InvalidShipmentTransition, NotShippable, ShippingError
from shipping.models import (
    CARRIER_STATUSES,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippingMethod,
    TrackingEvent,
    TrackingEventSource,
)
from shipping.services.webhooks import emit_shipment_delivered, emit_shipment_shipped
from shipping.tasks import send_shipment_email as send_shipment_email_task

SHIPPABLE_ORDER_STATUSES = (OrderStatus.PLACED, OrderStatus.PROCESSING)
PAID_STATUSES = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
# The e-mail the customer gets when a shipment reaches a status.
EMAIL_ON = {
    ShipmentStatus.SHIPPED: "shipped",
    ShipmentStatus.READY_FOR_PICKUP: "ready_for_pickup",
    ShipmentStatus.DELIVERED: "delivered",
}


def _lock(shipment: Shipment) -> Shipment:
    # Lock the shipment row only: PostgreSQL cannot lock the nullable side of the method join.
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("order", "location", "method")
        .get(pk=shipment.pk)
    )


def _order_event(order: Order, *, by=None, message: str, old: str = "", new: str = "") -> None:
    OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.SHIPMENT, by=by, message=message, old_value=old, new_value=new
    )


def _move(shipment: Shipment, *, to: str, by=None) -> None:
    """The one gate: the state table decides, the timeline remembers."""
    if not shipment.can_become(to):
        raise InvalidShipmentTransition(
            _("Shipment %(id)s is %(status)s and cannot become %(target)s.")
            % {"id": shipment.pk, "status": shipment.get_status_display(), "target": ShipmentStatus(to).label}
        )
    old = shipment.status
    shipment.status = to
    now = timezone.now()
    fields = ["status"]
    stamp = {
        ShipmentStatus.PACKED: "packed_at",
        ShipmentStatus.SHIPPED: "shipped_at",
        ShipmentStatus.DELIVERED: "delivered_at",
        ShipmentStatus.PICKED_UP: "delivered_at",
    }.get(to)
    if stamp and getattr(shipment, stamp) is None:
        setattr(shipment, stamp, now)
        fields.append(stamp)
    if to == ShipmentStatus.PICKED_UP and shipment.shipped_at is None:
        shipment.shipped_at = now
        fields.append("shipped_at")
    shipment.save(update_fields=fields)
    _order_event(
        shipment.order,
        by=by,
        message=_("Shipment %(id)s: %(status)s.") % {"id": shipment.pk, "status": shipment.get_status_display()},
        old=old,
        new=to,
    )
    emit_shipment_delivered(shipment=shipment, status=to)
    kind = EMAIL_ON.get(to)
    if kind and shipment.order.email:
        on_commit_or_log(send_shipment_email_task.delay, shipment_id=shipment.pk, kind=kind)  # else the beat sends it


def _consume(shipment: Shipment, *, by=None) -> None:
    """Take the shipment's units off the shelf at its location (the reservations made at placing)."""
    for line in shipment.lines.order_by("order_line_id"):
        try:
            consume_reserved_stock(
                order_line_id=line.order_line_id, location=shipment.location, quantity=line.quantity, by=by
            )
        except InventoryError as exc:
            raise NotShippable(exc.message) from exc


def _follow_order(order: Order, *, by=None) -> Order:
    """Recompute the order's fulfilment; close it when it is paid and everything has arrived."""
    order = sync_fulfilment_status(order=order, by=by)
    if (
        order.fulfilment_status == FulfilmentStatus.DELIVERED
        and order.payment_status in PAID_STATUSES
        and order.can_become(OrderStatus.COMPLETED)
    ):
        order = complete_order(order=order, by=by, note=_("Paid and received by the customer."))
    return order


def quantities_to_ship(*, order: Order) -> dict[int, int]:
    """Per order line id: ordered minus what is already in a shipment (any status)."""
    in_shipments = dict(
        ShipmentLine.objects.filter(order_line__order=order)
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    return {line.pk: line.quantity - in_shipments.get(line.pk, 0) for line in order.lines.all()}


def _check_order_shippable(order: Order) -> None:
    if order.status not in SHIPPABLE_ORDER_STATUSES:
        raise NotShippable(
            _("Order %(number)s is %(status)s: nothing can be shipped.")
            % {"number": order, "status": order.get_status_display()}
        )
    if order.needs_review:
        raise NotShippable(_("Order %(number)s needs review; approve it before shipping.") % {"number": order})


@transaction.atomic
def create_shipment(
    *,
    order: Order,
    location: Location,
    lines: Sequence[tuple[OrderLine, int]],
    method: ShippingMethod | None = None,
    by=None,
) -> Shipment:
    """Put all or part of an order's lines in a parcel leaving from ``location``.

    Split shipments and partial quantities are fine; more than ordered minus what other
    shipments already hold is refused, and so is a quantity that is not reserved at the
    location (the goods must be on that shelf and promised to this order). Stock is
    consumed only when the parcel leaves (``mark_shipped`` / ``mark_picked_up``).
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_order_shippable(order)
    wanted: dict[int, int] = {}
    for order_line, quantity in lines:
        if order_line.order_id != order.pk:
            raise NotShippable(_("A line of another order was given."))
        if quantity < 0:
            raise NotShippable(_("Quantities cannot be negative."), field="lines")
        if quantity:
            wanted[order_line.pk] = wanted.get(order_line.pk, 0) + quantity
    if not wanted:
        raise NotShippable(_("Choose at least one item to ship."), field="lines")
    remaining = quantities_to_ship(order=order)
    order_lines = {line.pk: line for line in order.lines.all()}
    for line_id, quantity in wanted.items():
        if quantity > remaining.get(line_id, 0):
            raise NotShippable(
                _("%(sku)s: %(quantity)s asked, only %(left)s left to ship.")
                % {"sku": order_lines[line_id].sku, "quantity": quantity, "left": max(remaining.get(line_id, 0), 0)},
                field="lines",
            )
    _check_reserved_at(location=location, wanted=wanted, order_lines=order_lines)
    shipment = Shipment.objects.create(
        order=order,
        location=location,
        method=method or order.shipping_method,
        carrier=(method or order.shipping_method).carrier if (method or order.shipping_method) else "",
        created_by=by,
    )
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=q) for line_id, q in sorted(wanted.items())]
    )
    _order_event(
        order,
        by=by,
        message=_("Shipment %(id)s created from %(location)s: %(units)s units.")
        % {"id": shipment.pk, "location": location.name, "units": sum(wanted.values())},
    )
    return shipment


def _check_reserved_at(*, location: Location, wanted: dict[int, int], order_lines: dict[int, OrderLine]) -> None:
    """Refuse now, with a clear message, what could not be consumed when the parcel leaves."""
    reserved = dict(
        Reservation.objects.filter(order_line_id__in=wanted, stock_level__location=location)
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    pending = dict(
        ShipmentLine.objects.filter(
            order_line_id__in=wanted,
            shipment__location=location,
            shipment__status__in=[ShipmentStatus.PENDING, ShipmentStatus.PACKED, ShipmentStatus.READY_FOR_PICKUP],
        )
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    for line_id, quantity in wanted.items():
        free = reserved.get(line_id, 0) - pending.get(line_id, 0)
        if quantity > free:
            raise NotShippable(
                _(
                    "%(sku)s: only %(free)s reserved at %(location)s for this order; %(quantity)s cannot leave from there."
                )
                % {
                    "sku": order_lines[line_id].sku,
                    "free": max(free, 0),
                    "location": location.name,
                    "quantity": quantity,
                },
                field="location",
            )


@transaction.atomic
def mark_packed(*, shipment: Shipment, by=None) -> Shipment:
    """The parcel is packed and waits for the carrier."""
    shipment = _lock(shipment)
    _move(shipment, to=ShipmentStatus.PACKED, by=by)
    return shipment


@transaction.atomic
def mark_shipped(*, shipment: Shipment, by=None, carrier: str = "", tracking_number: str = "") -> Shipment:
    """The carrier has the parcel: its units leave the shelf and the order's fulfilment follows."""
    from shipping.services.carriers import validate_tracking_number
    from shipping.services.handoff import enqueue_handoff

    shipment = _lock(shipment)
    _check_order_shippable(shipment.order)
    _move(shipment, to=ShipmentStatus.SHIPPED, by=by)
    carrier = (carrier or shipment.carrier).strip()
    tracking_number = tracking_number.strip().upper().replace(" ", "")
    if tracking_number:
        validate_tracking_number(carrier=carrier, tracking_number=tracking_number)
    shipment.carrier = carrier
    shipment.tracking_number = tracking_number or shipment.tracking_number
    shipment.save(update_fields=["carrier", "tracking_number"])
    emit_shipment_shipped(shipment=shipment)
    _consume(shipment, by=by)
    _follow_order(shipment.order, by=by)
    enqueue_handoff(shipment)
    return shipment


@transaction.atomic
def mark_ready_for_pickup(*, shipment: Shipment, by=None) -> Shipment:
    """The parcel waits at a pickup point; the stock stays reserved until it is collected."""
    shipment = _lock(shipment)
    if not shipment.location.is_pickup_point:
        raise InvalidShipmentTransition(_("%(location)s is not a pickup point.") % {"location": shipment.location.name})
    _move(shipment, to=ShipmentStatus.READY_FOR_PICKUP, by=by)
    return shipment


@transaction.atomic
def mark_picked_up(*, shipment: Shipment, collected_by: str, by=None) -> Shipment:
    """The customer (or someone for them) collected the parcel: stock leaves, the order follows."""
    collected_by = collected_by.strip()
    if not collected_by:
        raise ShippingError(_("Say who collected the parcel."), field="collected_by")
    shipment = _lock(shipment)
    _check_order_shippable(shipment.order)
    _move(shipment, to=ShipmentStatus.PICKED_UP, by=by)
    shipment.collected_by = collected_by[:200]
    shipment.save(update_fields=["collected_by"])
    _consume(shipment, by=by)
    _follow_order(shipment.order, by=by)
    return shipment


@transaction.atomic
def hand_over_at_counter(*, order: Order, location: Location, by=None) -> Shipment:
    """An in-person sale taken now: one shipment of everything, off the shop's shelf at once.

    The order's fulfilment becomes delivered, and a paid order is completed in the same
    transaction; any refusal (stock not reserved at the shop, order under review) leaves
    nothing behind.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_order_shippable(order)
    remaining = quantities_to_ship(order=order)
    lines = [(line, remaining[line.pk]) for line in order.lines.all() if remaining[line.pk] > 0]
    if not lines:
        raise NotShippable(_("Everything on order %(number)s has already been handed over.") % {"number": order})
    shipment = create_shipment(order=order, location=location, lines=lines, by=by)
    shipment = _lock(shipment)
    _move(shipment, to=ShipmentStatus.PICKED_UP, by=by)
    shipment.collected_by = order.customer_name or _("At the counter")
    shipment.save(update_fields=["collected_by"])
    _consume(shipment, by=by)
    _follow_order(order, by=by)
    return shipment


@transaction.atomic
def record_tracking_event(
    *,
    shipment: Shipment,
    status: str,
    occurred_at: datetime,
    source: str = TrackingEventSource.MANUAL,
    external_id: str = "",
    place: str = "",
    description: str = "",
    by=None,
) -> TrackingEvent | None:
    """Append what the carrier (or staff) said, and move the shipment forward if the table allows.

    Returns the new event, or None when it changed nothing: a duplicate (same carrier event
    id) or a late, out-of-order status the table does not allow from where the shipment is
    now (an "in transit" after "delivered"). An event with the current status (another hub)
    is appended without a move. Only parcels that have left can get carrier events.
    """
    if status not in CARRIER_STATUSES:
        raise ShippingError(_("A tracking event cannot say %(status)s.") % {"status": status}, field="status")
    if source not in TrackingEventSource.values:
        raise ShippingError(_("Unknown tracking source."))
    shipment = _lock(shipment)
    external_id = external_id.strip()[:100]
    if external_id and shipment.events.filter(external_id=external_id).exists():
        return None
    if shipment.status in (ShipmentStatus.PENDING, ShipmentStatus.PACKED):
        raise InvalidShipmentTransition(
            _("Shipment %(id)s has not been shipped yet; mark it shipped first.") % {"id": shipment.pk}
        )
    if status != shipment.status and not shipment.can_become(status):
        return None
    event = TrackingEvent.objects.create(
        shipment=shipment,
        status=status,
        occurred_at=occurred_at,
        source=source,
        external_id=external_id,
        place=place.strip()[:200],
        description=description.strip()[:300],
    )
    if status != shipment.status:
        _move(shipment, to=status, by=by)
        _follow_order(shipment.order, by=by)
    return event


__all__ = [
    "create_shipment",
    "hand_over_at_counter",
    "mark_packed",
    "mark_picked_up",
    "mark_ready_for_pickup",
    "mark_shipped",
    "quantities_to_ship",
    "record_tracking_event",
]
