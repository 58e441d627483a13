"""What needs attention: counts of the things someone should act on, each with the link to them.

The count and the link are built side by side so they agree: following the link shows
the orders (or stock levels, invoices, shipments) the count counted. A fixed number of
queries (five, and two for the carts), whatever the number of orders.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import ngettext

from catalog.models import StoreSettings
from inventory.selectors import list_low_stock
from orders.models import Cart, CartStatus, FulfilmentStatus, Order, OrderLine, OrderStatus, PaymentStatus
from orders.selectors.dashboard import local_today, start_of

# Defaults when the settings do not say otherwise.
ABANDONED_CARTS_DAYS = 7  # carts left behind are counted over the last week
UNPAID_AFTER_DAYS = 7
UNSHIPPED_AFTER_DAYS = 2

_OPEN = Q(status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING])


@dataclass(frozen=True)
class AttentionItem:
    key: str
    count: int
    text: str
    url: str
    # amber for work waiting, red for something that failed
    tone: str = "attention"
    # What the linked page requires: the page shows the count to everyone, the link only to those who may open it.
    permission: str = "orders.view_order"


def attention_days() -> tuple[int, int]:
    """(unpaid after, unshipped after) in days: ``settings.BACKROOM_UNPAID_ATTENTION_DAYS`` and
    ``settings.BACKROOM_UNSHIPPED_ATTENTION_DAYS``, else 7 and 2."""
    return (
        int(getattr(settings, "BACKROOM_UNPAID_ATTENTION_DAYS", UNPAID_AFTER_DAYS)),
        int(getattr(settings, "BACKROOM_UNSHIPPED_ATTENTION_DAYS", UNSHIPPED_AFTER_DAYS)),
    )


def _url(name: str, fallback: str, params: dict | None = None) -> str:
    try:
        base = reverse(name)
    except NoReverseMatch:
        try:
            base = reverse(fallback)
        except NoReverseMatch:
            return ""
    query = urlencode(params or {}, doseq=True)
    return f"{base}?{query}" if query else base


def order_list_url(params: dict) -> str:
    """The order list filtered by django-filter params (``orders/filters.py``)."""
    return _url("orders:order-list", "admin:orders_order_changelist", params)


def get_attention_items(
    *, now: datetime | None = None, failed_invoice_emails: int = 0, shipment_exceptions: int = 0
) -> list[AttentionItem]:
    """Every kind of work waiting, zero counts included (the page shows "all clear" for those).

    - unpaid: open orders not paid at all, placed N days ago or earlier (N = 7 by default);
    - unshipped: open orders fully paid, nothing shipped, placed N days ago or earlier (2);
    - held for review: open orders flagged ``needs_review``;
    - backordered: open orders with a line still waiting for stock;
    - low stock: active stock levels at or below their threshold;
    - invoice e-mails that failed and have not gone out since;
    - shipments whose tracking reports an exception.
    "N days ago or earlier" is by the store's calendar day, the way the order list's
    ``placed_to`` date filter (inclusive) reads it.
    """
    now = now or timezone.now()
    today = local_today(now)
    unpaid_days, unshipped_days = attention_days()
    unpaid_before = today - timedelta(days=unpaid_days)
    unshipped_before = today - timedelta(days=unshipped_days)
    unpaid = _OPEN & Q(payment_status=PaymentStatus.UNPAID, placed_at__lt=start_of(unpaid_before + timedelta(days=1)))
    unshipped = _OPEN & Q(
        payment_status=PaymentStatus.PAID,
        fulfilment_status=FulfilmentStatus.UNFULFILLED,
        placed_at__lt=start_of(unshipped_before + timedelta(days=1)),
    )
    orders = Order.objects.filter(_OPEN).aggregate(
        unpaid=Count("id", filter=unpaid),
        unshipped=Count("id", filter=unshipped),
        review=Count("id", filter=Q(needs_review=True)),
    )
    backorders = (
        OrderLine.objects.filter(
            quantity_backordered__gt=0, order__status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING]
        )
        .order_by()
        .aggregate(orders=Count("order", distinct=True), lines=Count("id"))
    )
    low_stock = list_low_stock(now=now).order_by().count()
    store = StoreSettings.load()
    abandoned = (
        Cart.objects.filter(
            status=CartStatus.OPEN,
            last_activity_at__lte=now - timedelta(minutes=store.abandoned_cart_after_minutes),
            last_activity_at__gte=now - timedelta(days=ABANDONED_CARTS_DAYS),
        )
        .filter(lines__isnull=False)
        .order_by()
        .aggregate(
            carts=Count("id", distinct=True), reminded=Count("id", distinct=True, filter=Q(reminders_sent__gt=0))
        )
    )
    # Billing and shipping sit above orders: the page counts those with their own selectors
    # (billing.selectors.count_failed_invoice_emails, shipping.selectors.count_shipment_exceptions).
    failed_emails = failed_invoice_emails
    exceptions = shipment_exceptions

    return [
        AttentionItem(
            key="unpaid",
            count=orders["unpaid"],
            text=ngettext(
                "order unpaid for %(days)s days or more",
                "orders unpaid for %(days)s days or more",
                orders["unpaid"],
            )
            % {"days": unpaid_days},
            url=order_list_url(
                {
                    "status": [OrderStatus.PLACED, OrderStatus.PROCESSING],
                    "payment_status": PaymentStatus.UNPAID,
                    "placed_to": unpaid_before.isoformat(),
                }
            ),
        ),
        AttentionItem(
            key="unshipped",
            count=orders["unshipped"],
            text=ngettext(
                "paid order not shipped within %(days)s days",
                "paid orders not shipped within %(days)s days",
                orders["unshipped"],
            )
            % {"days": unshipped_days},
            url=order_list_url(
                {
                    "status": [OrderStatus.PLACED, OrderStatus.PROCESSING],
                    "payment_status": PaymentStatus.PAID,
                    "fulfilment_status": FulfilmentStatus.UNFULFILLED,
                    "placed_to": unshipped_before.isoformat(),
                }
            ),
        ),
        AttentionItem(
            key="review",
            count=orders["review"],
            text=ngettext("order held for review", "orders held for review", orders["review"]),
            url=order_list_url({"status": [OrderStatus.PLACED, OrderStatus.PROCESSING], "needs_review": "on"}),
        ),
        AttentionItem(
            key="backordered",
            count=backorders["orders"],
            text=ngettext(
                "order waiting for backordered stock (%(lines)s lines)",
                "orders waiting for backordered stock (%(lines)s lines)",
                backorders["orders"],
            )
            % {"lines": backorders["lines"]},
            url=order_list_url({"status": [OrderStatus.PLACED, OrderStatus.PROCESSING], "backordered": "on"}),
        ),
        AttentionItem(
            key="low_stock",
            count=low_stock,
            text=ngettext(
                "stock level at or below its threshold", "stock levels at or below their threshold", low_stock
            ),
            # inventory/filters.py: ``low`` is a checkbox filter
            url=_url("inventory:stock-list", "admin:inventory_stocklevel_changelist", {"low": "on"}),
            permission="inventory.view_stocklevel",
        ),
        AttentionItem(
            key="abandoned_carts",
            count=abandoned["carts"],
            text=ngettext(
                "cart left behind in the last %(days)s days (%(reminded)s reminded)",
                "carts left behind in the last %(days)s days (%(reminded)s reminded)",
                abandoned["carts"],
            )
            % {"days": ABANDONED_CARTS_DAYS, "reminded": abandoned["reminded"]},
            url=_url("orders:cart-report", "admin:index"),
            permission="orders.view_cart",
        ),
        AttentionItem(
            key="invoice_emails",
            count=failed_emails,
            text=ngettext("invoice e-mail failed", "invoice e-mails failed", failed_emails),
            url=_url("billing:invoice-list", "admin:billing_invoice_changelist", {"email": "failed"})
            if _has("billing:invoice-list")
            else _url("admin:billing_invoice_changelist", "admin:index", {"email_error__gt": ""}),
            tone="danger",
            permission="billing.view_invoice",
        ),
        AttentionItem(
            key="tracking_exceptions",
            count=exceptions,
            text=ngettext("shipment with a tracking exception", "shipments with a tracking exception", exceptions),
            url=_url("shipping:shipment-list", "admin:shipping_shipment_changelist", {"status": "exception"})
            if _has("shipping:shipment-list")
            else _url("admin:shipping_shipment_changelist", "admin:index", {"status__exact": "exception"}),
            tone="danger",
            permission="shipping.view_shipment",
        ),
    ]


def _has(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
