"""The dashboard's trends: sales per day, the month-end projection, the pipeline, top products.

A fixed number of queries whatever the number of orders: the database groups and sums
(per day, closed days from the cache: ``dashboard_closed``), Python only arranges at most
90 daily rows and adds up the SKUs of the top products.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.money import ZERO, quantize
from orders.models import FulfilmentStatus, Order, OrderStatus, PaymentStatus
from orders.selectors.dashboard import (
    _next_month_first,
    local_today,
    start_of,
    store_timezone,
)
from orders.selectors.dashboard_closed import SalesDays, load_sales_days, sku_sales

CHART_DAYS = (30, 90)
# The dashboard loads this many days of sums: the projection reads the 8 weeks before today
# and this month so far, the chart at most 90 days; 90 days cover them all.
SERIES_DAYS = 90
PATTERN_WEEKS = 8
TOP_PRODUCTS_DAYS = 30
TOP_PRODUCTS_SHOWN = 8


@dataclass(frozen=True)
class DaySales:
    day: date
    revenue: Decimal
    order_count: int


def list_daily_sales(*, days: int, now: datetime | None = None, sales: SalesDays | None = None) -> list[DaySales]:
    """Revenue and orders per local day for the last ``days`` days (today included), gaps as zeros.

    From ``sales`` when the caller loaded it with at least ``days`` series days (the
    dashboard view: no query of its own), else two queries (``load_sales_days``): closed
    days come from the cache, today is read live.
    """
    now = now or timezone.now()
    today = local_today(now)
    first = today - timedelta(days=days - 1)
    if sales is None or sales.today != today or any(first + timedelta(days=n) not in sales.full for n in range(days)):
        sales = load_sales_days(now=now, windows=[], series_days=days)
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        total = sales.day_total(day)
        series.append(
            DaySales(day=day, revenue=quantize(total.revenue) if total.count else ZERO, order_count=total.count)
        )
    return series


@dataclass(frozen=True)
class Projection:
    """The month-end projection and the figures it was made from (shown beside it)."""

    month_start: date
    month_end: date  # last day of the month
    month_to_date: Decimal
    projected: Decimal
    # This month's pace against the usual weekday pattern (1.10 = 10 % above); None when unknown.
    run_rate: Decimal | None
    days_left: int

    @property
    def run_rate_percent(self) -> Decimal | None:
        return None if self.run_rate is None else (self.run_rate * 100).quantize(Decimal("1"))

    @property
    def pace_direction(self) -> str:
        """up / down / flat against the usual pace, "" when there is no usual pace yet."""
        percent = self.run_rate_percent
        if percent is None:
            return ""
        return "up" if percent > 100 else "down" if percent < 100 else "flat"

    @property
    def pace_difference(self) -> Decimal | None:
        percent = self.run_rate_percent
        return None if percent is None else abs(percent - 100)

    @property
    def expected_further(self) -> Decimal:
        return self.projected - self.month_to_date


def project_month_end(*, daily: list[DaySales], now: datetime) -> Projection:
    """Where this month's revenue will end if the month goes on as it has so far.

    The formula, from ``daily`` (revenue per local day, at least the 56 days before
    today and this month so far):

    1. The weekday pattern: for each weekday ``w``, ``usual[w]`` is the average revenue of
       that weekday over the last 8 full weeks (the 56 days ending yesterday, so each
       weekday appears exactly 8 times). A shop that sells twice as much on Saturdays
       keeps doing so.
    2. The run rate: ``rate = actual / usual`` over the full days of this month so far
       (the 1st until yesterday), i.e. how this month is doing against the usual
       pattern for the same weekdays. On the 1st there is no full day yet: ``rate = 1``.
    3. The projection: what is already sold this month (today's sales so far included,
       so each new order moves it at once) plus ``rate × usual[w]`` for every day still
       ahead — the rest of today counted by the share of the day still to go, then each
       later day of the month in full.

    When the 8 weeks hold no sales at all, the pattern says nothing: the month-to-date
    revenue is spread evenly over the time elapsed (a plain linear run rate) instead.
    """
    tz = store_timezone()
    local_now = timezone.localtime(now, tz)
    today = local_now.date()
    month_start = today.replace(day=1)
    month_end = _next_month_first(today) - timedelta(days=1)
    by_day = {d.day: d.revenue for d in daily}

    pattern_days = [today - timedelta(days=n) for n in range(1, PATTERN_WEEKS * 7 + 1)]
    usual = [ZERO] * 7
    for day in pattern_days:
        usual[day.weekday()] += by_day.get(day, ZERO)
    usual = [total / PATTERN_WEEKS for total in usual]

    elapsed_days = [month_start + timedelta(days=n) for n in range((today - month_start).days)]
    actual_before_today = sum((by_day.get(d, ZERO) for d in elapsed_days), ZERO)
    month_to_date = actual_before_today + by_day.get(today, ZERO)
    day_seconds = (start_of(today + timedelta(days=1)) - start_of(today)).total_seconds()
    share_left = Decimal(str(round(1 - (now - start_of(today)).total_seconds() / day_seconds, 6)))
    share_left = max(ZERO, min(Decimal(1), share_left))
    later_days = [today + timedelta(days=n) for n in range(1, (month_end - today).days + 1)]

    if sum(usual, ZERO) > 0:
        expected_so_far = sum((usual[d.weekday()] for d in elapsed_days), ZERO)
        if not elapsed_days:
            rate = Decimal(1)
        elif expected_so_far > 0:
            rate = actual_before_today / expected_so_far
        else:
            rate = Decimal(1)
        ahead = usual[today.weekday()] * share_left + sum((usual[d.weekday()] for d in later_days), ZERO)
        projected = month_to_date + rate * ahead
        run_rate: Decimal | None = rate.quantize(Decimal("0.01"))
    else:
        elapsed = Decimal(len(elapsed_days)) + (1 - share_left)
        days_ahead = share_left + len(later_days)
        projected = month_to_date + (month_to_date / elapsed * days_ahead if elapsed > 0 else ZERO)
        run_rate = None
    return Projection(
        month_start=month_start,
        month_end=month_end,
        month_to_date=quantize(month_to_date),
        projected=quantize(projected),
        run_rate=run_rate,
        days_left=len(later_days) + 1,
    )


@dataclass(frozen=True)
class Pipeline:
    """Money on its way: placed but not paid yet, and paid but not shipped yet."""

    unpaid_count: int
    unpaid_amount: Decimal
    unshipped_count: int
    unshipped_amount: Decimal


_OPEN = Q(status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING])
UNPAID = _OPEN & Q(payment_status__in=[PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID])
PAID_UNSHIPPED = _OPEN & Q(
    payment_status=PaymentStatus.PAID,
    fulfilment_status__in=[FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIALLY_FULFILLED],
)


def _amount(condition: Q) -> Coalesce:
    return Coalesce(
        Sum("total_amount", filter=condition), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2)
    )


def get_pipeline() -> Pipeline:
    """Open orders not yet paid (partly paid included) and paid ones not yet shipped, in one query."""
    counted = Q(currency=settings.STORE_CURRENCY)
    row = Order.objects.filter(_OPEN).aggregate(
        unpaid_count=Count("id", filter=UNPAID),
        unpaid_amount=_amount(UNPAID & counted),
        unshipped_count=Count("id", filter=PAID_UNSHIPPED),
        unshipped_amount=_amount(PAID_UNSHIPPED & counted),
    )
    return Pipeline(**row)


@dataclass(frozen=True)
class TopProduct:
    sku: str
    name: str
    units: int
    revenue: Decimal


def list_top_products(
    *,
    now: datetime | None = None,
    days: int = TOP_PRODUCTS_DAYS,
    limit: int = TOP_PRODUCTS_SHOWN,
    sales: SalesDays | None = None,
) -> list[TopProduct]:
    """The best sellers of the last ``days`` days by net line revenue, with units sold.

    Grouped by SKU (what the merchant reorders); lines of cancelled orders and drafts do
    not count, nor orders in another currency. One query with ``sales`` (which brings the
    cache key), two without: closed days' sums per SKU come from the cache, today's live.
    """
    now = now or timezone.now()
    per_sku = sku_sales(now=now, days=days, sales=sales)
    ranked = sorted(per_sku.items(), key=lambda item: (-item[1].revenue, -item[1].units, item[0]))[:limit]
    return [
        TopProduct(
            sku=sku,
            name=f"{found.name} {found.variant}".strip(),
            units=found.units,
            revenue=quantize(found.revenue),
        )
        for sku, found in ranked
    ]


def warm_dashboard_sums(*, now: datetime | None = None) -> int:
    """Sum into the cache the closed days a dashboard load reads (both comparisons), so a person rarely waits for them.

    Only days not cached, changed since, or past their entry's life are summed; on a warm
    cache this is four small queries per comparison. Returns the number of days in the series.
    """
    from orders.selectors.dashboard import COMPARE_CHOICES, figure_windows, period_windows

    now = now or timezone.now()
    for compare in COMPARE_CHOICES:
        sales = load_sales_days(
            now=now, windows=figure_windows(period_windows(now=now, compare=compare)), series_days=SERIES_DAYS
        )
        sku_sales(now=now, days=TOP_PRODUCTS_DAYS, sales=sales)
    return SERIES_DAYS
