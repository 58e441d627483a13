"""Read queries for the order pages: each costs a fixed number of queries, whatever its size."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Channel
from catalog.money import ZERO, quantize
from orders.models import Order, OrderStatus

LATEST_ORDERS_SHOWN = 10

# Statuses that do not count as sales (``Order.objects.placed()`` excludes the same ones).
_NOT_SALES = [OrderStatus.DRAFT, OrderStatus.CANCELLED]


@dataclass(frozen=True)
class SalesFigures:
    """Revenue and order count of one period; the average follows from them."""

    revenue: Decimal
    order_count: int

    @property
    def average_order_value(self) -> Decimal:
        if not self.order_count:
            return ZERO
        return quantize(self.revenue / self.order_count)

    def __add__(self, other: "SalesFigures") -> "SalesFigures":
        return SalesFigures(revenue=self.revenue + other.revenue, order_count=self.order_count + other.order_count)


NO_SALES = SalesFigures(revenue=ZERO, order_count=0)


@dataclass(frozen=True)
class ChannelSales:
    channel: Channel
    today: SalesFigures
    month: SalesFigures


@dataclass(frozen=True)
class DashboardFigures:
    """What the owner's dashboard shows, in the store currency and the store's time zone."""

    currency: str
    today: date
    today_total: SalesFigures
    month_total: SalesFigures
    by_channel: list[ChannelSales]
    # Orders this month in another currency than the store's: not summed into the figures.
    other_currency_count: int
    latest_orders: list[Order]


@dataclass(frozen=True)
class _Bounds:
    today: date
    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime


def _local_bounds(now: datetime) -> _Bounds:
    """Start and end of the store's local day and month as aware datetimes.

    A sales day is the merchant's day, not UTC's: an order at 00:30 in Berlin belongs to
    that date. Each bound is built from a local date (not by adding 24 hours), so the
    days around a daylight-saving change have their real length.
    """
    tz = timezone.get_default_timezone()
    today = timezone.localdate(now, timezone=tz)
    month_first = today.replace(day=1)
    next_month_first = (month_first + timedelta(days=32)).replace(day=1)

    def start_of(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min), tz)

    return _Bounds(
        today=today,
        day_start=start_of(today),
        day_end=start_of(today + timedelta(days=1)),
        month_start=start_of(month_first),
        month_end=start_of(next_month_first),
    )


def _revenue(condition: Q) -> Coalesce:
    return Coalesce(
        Sum("orders__total_amount", filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _channels_with_sales(*, bounds: _Bounds, currency: str) -> QuerySet[Channel]:
    """Every active channel (and any inactive one that sold this month) with its sales.

    One query: a left join from channels to their orders with conditional aggregation,
    so a channel without orders still appears, with zeros.
    """
    is_sale = ~Q(orders__status__in=_NOT_SALES)
    this_month = Q(orders__placed_at__gte=bounds.month_start, orders__placed_at__lt=bounds.month_end)
    today = Q(orders__placed_at__gte=bounds.day_start, orders__placed_at__lt=bounds.day_end)
    counted = is_sale & this_month & Q(orders__currency=currency)
    other_currency = is_sale & this_month & ~Q(orders__currency=currency)
    return (
        Channel.objects.annotate(
            month_revenue=_revenue(counted),
            month_count=Count("orders", filter=counted),
            today_revenue=_revenue(counted & today),
            today_count=Count("orders", filter=counted & today),
            other_currency_count=Count("orders", filter=other_currency),
        )
        .filter(Q(is_active=True) | Q(month_count__gt=0) | Q(other_currency_count__gt=0))
        .order_by("name", "pk")
    )


def list_latest_orders(*, limit: int = LATEST_ORDERS_SHOWN) -> QuerySet[Order]:
    """The most recently placed orders, cancelled ones included (drafts have no number yet)."""
    return (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .select_related("channel", "customer")
        .order_by("-placed_at", "-id")[:limit]
    )


def get_dashboard_figures(*, now: datetime | None = None) -> DashboardFigures:
    """Sales of today and of this month, in total and per channel, and the latest orders.

    Two queries whatever the number of orders: the sums are computed by the database.
    Only orders in the store currency are summed (adding euros to pounds means nothing);
    orders in another currency are counted apart so the page can say so.
    """
    bounds = _local_bounds(now or timezone.now())
    currency = settings.STORE_CURRENCY
    by_channel: list[ChannelSales] = []
    today_total = month_total = NO_SALES
    other_currency_count = 0
    for channel in _channels_with_sales(bounds=bounds, currency=currency):
        row = ChannelSales(
            channel=channel,
            today=SalesFigures(revenue=channel.today_revenue, order_count=channel.today_count),
            month=SalesFigures(revenue=channel.month_revenue, order_count=channel.month_count),
        )
        by_channel.append(row)
        today_total += row.today
        month_total += row.month
        other_currency_count += channel.other_currency_count
    return DashboardFigures(
        currency=currency,
        today=bounds.today,
        today_total=today_total,
        month_total=month_total,
        by_channel=by_channel,
        other_currency_count=other_currency_count,
        latest_orders=list(list_latest_orders()),
    )
