"""The dashboard's live activity feed: what just happened, newest first.

Each source turns its rows into ``FeedItem``s; ``list_feed`` merges the sources by time.
Two sources: the order timeline (orders placed, payments, refunds, shipments) and the
storefront's cart steps (items added, checkout started, payment failed, a reminded cart
reopened), one query each; a new source is a function returning ``list[FeedItem]``
merged in ``list_feed``.
"""

from dataclasses import dataclass
from datetime import datetime
from heapq import merge

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from catalog.templatetags.money import format_money
from orders.models import CartEvent, FulfilmentStatus, Order, OrderEvent, PaymentStatus

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
    kind: str  # order_placed, payment, refund, shipment, cart_added, checkout_started, payment_failed, cart_restored
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


CART_FEED_KINDS = {
    CartEvent.Kind.ITEM_ADDED: "cart_added",
    CartEvent.Kind.CHECKOUT_STARTED: "checkout_started",
    CartEvent.Kind.PAYMENT_FAILED: "payment_failed",
    CartEvent.Kind.RESTORED: "cart_restored",
}


def _cart_event_text(event: CartEvent) -> str:
    if event.kind == CartEvent.Kind.ITEM_ADDED:
        item = event.variant.display_name if event.variant else _("an item")
        return _("%(quantity)s × %(item)s added to a cart") % {"quantity": event.quantity or 1, "item": item}
    if event.kind == CartEvent.Kind.CHECKOUT_STARTED:
        return _("Checkout started")
    if event.kind == CartEvent.Kind.PAYMENT_FAILED:
        return _("A payment failed at checkout")
    return _("A reminded cart was reopened")


def list_cart_activity(*, limit: int = FEED_ITEMS_SHOWN) -> list[FeedItem]:
    """The storefront's cart steps, in one query."""
    events = (
        CartEvent.objects.filter(kind__in=list(CART_FEED_KINDS))
        .select_related("variant__product")
        .order_by("-created_at", "-id")[:limit]
    )
    try:
        url = reverse("orders:cart-report")
    except NoReverseMatch:
        url = ""
    return [
        FeedItem(when=event.created_at, kind=CART_FEED_KINDS[event.kind], text=_cart_event_text(event), url=url)
        for event in events
    ]


def list_feed(*, limit: int = FEED_ITEMS_SHOWN) -> list[FeedItem]:
    """The newest ``limit`` items of every source, merged newest first."""
    sources = [list_order_activity(limit=limit), list_cart_activity(limit=limit)]
    merged = merge(*sources, key=lambda item: item.when, reverse=True)
    return list(merged)[:limit]
