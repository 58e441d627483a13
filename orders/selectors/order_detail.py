"""The order detail page's read: the order and everything the page shows, in fixed queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from catalog.money import ZERO
from orders.models import Order, OrderEvent, OrderLine

# Shipment statuses whose lines have left (or are about to leave) the building. Shipping sits
# above orders, so the values are named here rather than imported (they are the same).
RETURNED_SHIPMENT_STATUSES = ("returned",)


@dataclass
class LineFacts:
    """What the page says about one line beside its snapshot: where it is reserved, how much has shipped."""

    line: OrderLine
    reservations: list = field(default_factory=list)
    in_shipments: int = 0

    @property
    def unfulfilled(self) -> int:
        return max(self.line.quantity - self.in_shipments, 0)


@dataclass
class OrderDetail:
    order: Order
    lines: list[LineFacts]
    events: list[OrderEvent]
    payments: list
    invoices: list
    shipments: list
    paid: Decimal
    refunded: Decimal

    @property
    def balance(self) -> Decimal:
        """Positive: the customer still owes it; negative: we owe a refund."""
        return self.order.total_amount - (self.paid - self.refunded)

    @property
    def balance_due(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def refund_owed(self) -> Decimal:
        return max(-self.balance, ZERO)


def _order_queryset():
    return Order.objects.select_related(
        "channel", "customer", "customer__group", "shipping_method", "pickup_location", "created_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.order_by("id").prefetch_related(
                "reservations__stock_level__location", "shipment_lines__shipment"
            ),
        ),
        Prefetch("events", queryset=OrderEvent.objects.select_related("by").order_by("-created_at", "-id")),
        "payments__recorded_by",
        "invoices",
        "shipments__method",
        "shipments__location",
        "shipments__lines__order_line",
        "shipments__events",
    )


def get_order_for_detail(*, number: str) -> OrderDetail:
    """One placed (or cancelled) order with its lines, reservations, timeline, money and parcels.

    A fixed number of queries whatever the number of lines, events, payments or shipments:
    every relation is prefetched once, and the sums are taken from what was prefetched.
    """
    order = _order_queryset().get(number=number)  # Order.DoesNotExist: the view answers 404
    lines = []
    for line in order.lines.all():
        in_shipments = sum(
            sl.quantity for sl in line.shipment_lines.all() if sl.shipment.status not in RETURNED_SHIPMENT_STATUSES
        )
        lines.append(LineFacts(line=line, reservations=list(line.reservations.all()), in_shipments=in_shipments))
    payments = list(order.payments.all())
    verified = [p for p in payments if p.status == "verified"]
    paid = sum((p.amount for p in verified if p.kind == "payment"), ZERO)
    refunded = sum((p.amount for p in verified if p.kind == "refund"), ZERO)
    return OrderDetail(
        order=order,
        lines=lines,
        events=list(order.events.all()),
        payments=payments,
        invoices=list(order.invoices.all()),
        shipments=list(order.shipments.all()),
        paid=paid,
        refunded=refunded,
    )
