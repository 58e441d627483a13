"""Reads for shipping pages."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderStatus, PaymentStatus
from shipping.models import Shipment, ShipmentStatus, TrackingEvent

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
