"""Reads for shipping pages."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shipping.models import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent

DELIVERY_STEPS = [
    ("placed", _("Placed")),
    ("paid", _("Paid")),
    ("packed", _("Packed")),
    ("shipped", _("Shipped")),
    ("in_transit", _("In transit")),
    ("out_for_delivery", _("Out for delivery")),
    ("delivered", _("Delivered")),
]
PICKUP_STEPS = [
    ("placed", _("Placed")),
    ("paid", _("Paid")),
    ("ready_for_pickup", _("Ready for pickup")),
    ("picked_up", _("Picked up")),
]
# How far along the way each shipment status is.
SHIPMENT_REACHED = {
    ShipmentStatus.PENDING: "paid",
    ShipmentStatus.PACKED: "packed",
    ShipmentStatus.SHIPPED: "shipped",
    ShipmentStatus.IN_TRANSIT: "in_transit",
    ShipmentStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    ShipmentStatus.DELIVERED: "delivered",
    ShipmentStatus.EXCEPTION: "shipped",
    ShipmentStatus.RETURNED: "shipped",
    ShipmentStatus.READY_FOR_PICKUP: "ready_for_pickup",
    ShipmentStatus.PICKED_UP: "picked_up",
}


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    done: bool
    current: bool


def get_order_for_tracking(*, code: str) -> Order | None:
    """The order behind a public tracking code, with its shipments and their events.

    Drafts have no public life; the page shows nothing that identifies the customer.
    """
    return (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .select_related("pickup_location", "shipping_method")
        .prefetch_related(
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("method").prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
                ),
            )
        )
        .filter(tracking_code=code)
        .first()
    )


def get_tracking_steps(*, order: Order) -> list[Step]:
    """The order's progress as steps, from its payment and the furthest-behind shipment."""
    steps = PICKUP_STEPS if order.is_pickup else DELIVERY_STEPS
    codes = [code for code, _label in steps]
    reached = "placed"
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        reached = "paid"
    shipments = list(order.shipments.all())
    if shipments:
        positions = [codes.index(SHIPMENT_REACHED[s.status]) for s in shipments if SHIPMENT_REACHED[s.status] in codes]
        if positions:
            reached = codes[max(codes.index(reached), min(positions))]
    last = codes.index(reached)
    return [Step(code=c, label=label, done=i <= last, current=i == last) for i, (c, label) in enumerate(steps)]


def list_shipments(*, filters: dict | None = None):
    """The shipment list: a fixed number of queries whatever the page size (filters apply on top)."""
    from shipping.filters import ShipmentFilter

    qs = (
        Shipment.objects.select_related("order", "location", "method")
        .annotate(units=Sum("lines__quantity"))
        .order_by("-created_at", "-id")
    )
    return ShipmentFilter(filters or None, queryset=qs)


def get_shipment_for_detail(*, pk: int) -> Shipment | None:
    return (
        Shipment.objects.select_related("order", "location", "method", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("order_line_id")),
            Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
        )
        .filter(pk=pk)
        .first()
    )


def get_order_for_shipping(*, number: str) -> Order | None:
    """An order with its lines and shipments, for the create-shipment page and the order panel."""
    return (
        Order.objects.select_related("pickup_location", "shipping_method", "channel")
        .prefetch_related(
            Prefetch(
                "lines", queryset=OrderLine.objects.prefetch_related("shipment_lines", "reservations__stock_level")
            ),
            shipments_for_panel(),
        )
        .filter(number=number)
        .first()
    )


def shipments_for_panel() -> Prefetch:
    """The prefetch the order panel needs: shipments with their lines and events."""
    return Prefetch(
        "shipments",
        queryset=Shipment.objects.select_related("location", "method").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")),
            Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
        ),
    )


@dataclass(frozen=True)
class LineToShip:
    line: OrderLine
    ordered: int
    in_shipments: int
    reserved_by_location: dict

    @property
    def left(self) -> int:
        return max(self.ordered - self.in_shipments, 0)

    @property
    def on_shelf(self) -> int:
        """What can go now: left to ship, as far as units are reserved for it (backorders wait)."""
        return min(self.left, sum(self.reserved_by_location.values()))


def get_lines_to_ship(*, order: Order) -> list[LineToShip]:
    """Each line with what is left to ship and where its units are reserved (from prefetched rows)."""
    rows = []
    for line in order.lines.all():
        reserved: dict = {}
        for reservation in line.reservations.all():
            reserved[reservation.stock_level.location_id] = (
                reserved.get(reservation.stock_level.location_id, 0) + reservation.quantity
            )
        rows.append(
            LineToShip(
                line=line,
                ordered=line.quantity,
                in_shipments=sum(sl.quantity for sl in line.shipment_lines.all()),
                reserved_by_location=reserved,
            )
        )
    return rows


def has_something_to_ship(order: Order) -> bool:
    """From the prefetched shipments: does any ordered unit still lack a shipment?"""
    ordered = sum(line.quantity for line in order.lines.all())
    in_shipments = sum(sl.quantity for s in order.shipments.all() for sl in s.lines.all())
    return in_shipments < ordered


def list_orders_to_pick(*, limit: int = 200) -> QuerySet[Order]:
    """Open orders not yet fully fulfilled, oldest first: the candidates for a pick list."""
    return (
        Order.objects.open()
        .filter(fulfilment_status__in=["unfulfilled", "partially_fulfilled"], needs_review=False)
        .select_related("channel")
        .annotate(units=Sum("lines__quantity"))
        .order_by("placed_at", "id")[:limit]
    )


def count_shipment_exceptions() -> int:
    """Parcels the carrier reported a problem with (the dashboard's "needs attention")."""
    return Shipment.objects.filter(status=ShipmentStatus.EXCEPTION).count()
