"""The dashboard's live activity feed: what just happened, newest first.

Each source turns its rows into ``FeedItem``s; ``list_feed`` merges the sources by time.
Today the only source is the order timeline (orders placed, payments, refunds,
shipments); storefront cart activity will be a second source with the same shape —
add a function returning ``list[FeedItem]`` and merge it in ``list_feed``.
"""

from dataclasses import dataclass
from datetime import datetime
from heapq import merge

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from catalog.templatetags.money import format_money
from orders.models import FulfilmentStatus, Order, OrderEvent, PaymentStatus

FEED_ITEMS_SHOWN = 15

FEED_KINDS = [
    OrderEvent.Kind.PLACED,
    OrderEvent.Kind.PAYMENT_RECORDED,
    OrderEvent.Kind.REFUNDED,
    OrderEvent.Kind.SHIPMENT,
]


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed, whatever its source."""

    when: datetime
    kind: str  # order_placed, payment, refund, shipment (later: cart_added, checkout_started)
    text: str
    url: str


def order_url(order: Order) -> str:
    """The order's page, or its admin page until the order detail page exists."""
    for name, arg in (("orders:order-detail", order.number), ("admin:orders_order_change", order.pk)):
        try:
            return reverse(name, args=[arg])
        except NoReverseMatch:
            continue
    return ""


def _order_event_text(event: OrderEvent) -> tuple[str, str]:
    order = event.order
    who = order.customer_name or order.email or _("a walk-in customer")
    values = {
        "number": order.number or "",
        "who": who,
        "total": format_money(order.total_amount, order.currency),
        "channel": order.channel.name,
    }
    if event.kind == OrderEvent.Kind.PLACED:
        return "order_placed", _("Order %(number)s placed by %(who)s — %(total)s via %(channel)s") % values
    if event.kind == OrderEvent.Kind.PAYMENT_RECORDED:
        values["state"] = (
            PaymentStatus(event.new_value).label.lower() if event.new_value in PaymentStatus.values else ""
        )
        return "payment", _("Payment on order %(number)s — now %(state)s") % values
    if event.kind == OrderEvent.Kind.REFUNDED:
        return "refund", _("Refund on order %(number)s") % values
    values["state"] = _shipment_state(event.new_value)
    return "shipment", _("Shipment for order %(number)s — now %(state)s") % values


def _shipment_state(value: str) -> str:
    """A shipment event carries the order's new fulfilment status or the shipment's own status."""
    # Shipments are shipping's (a higher app): their statuses are read through the relation.
    shipment_status = Order._meta.get_field("shipments").related_model.Status
    for choices in (FulfilmentStatus, shipment_status):
        if value in choices.values:
            return str(choices(value).label).lower()
    return value.replace("_", " ")


def list_order_activity(*, limit: int = FEED_ITEMS_SHOWN) -> list[FeedItem]:
    """Orders placed, payments, refunds and shipments from the order timeline, in one query."""
    events = (
        OrderEvent.objects.filter(kind__in=FEED_KINDS)
        .select_related("order__channel")
        .order_by("-created_at", "-id")[:limit]
    )
    items = []
    for event in events:
        kind, text = _order_event_text(event)
        items.append(FeedItem(when=event.created_at, kind=kind, text=text, url=order_url(event.order)))
    return items


def list_feed(*, limit: int = FEED_ITEMS_SHOWN) -> list[FeedItem]:
    """The newest ``limit`` items of every source, merged newest first."""
    sources = [list_order_activity(limit=limit)]
    merged = merge(*sources, key=lambda item: item.when, reverse=True)
    return list(merged)[:limit]
