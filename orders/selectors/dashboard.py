"""The dashboard's sales figures: today, this week and this month, per channel and compared.

The database sums per local day and channel (``dashboard_closed``: closed days kept in the
cache, today and the unfinished comparison days live); Python adds a window's days up.
The rest of the dashboard lives in
``dashboard_trends`` (daily series, projection, pipeline, top products),
``dashboard_attention`` and ``dashboard_feed``.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Channel
from catalog.money import ZERO, quantize
from orders.models import Order, OrderStatus

LATEST_ORDERS_SHOWN = 10

# Statuses that do not count as sales (``Order.objects.placed()`` excludes the same ones).
_NOT_SALES = [OrderStatus.DRAFT, OrderStatus.CANCELLED]

# What each period is compared with: the period before it, or the same period a year ago.
COMPARE_PREVIOUS = "previous"
COMPARE_YEAR = "year"
COMPARE_CHOICES = {
    COMPARE_PREVIOUS: _("previous period"),
    COMPARE_YEAR: _("last year"),
}

PERIODS = ("today", "week", "month")
PERIOD_LABELS = {"today": _("Today"), "week": _("This week"), "month": _("This month")}
PREVIOUS_LABELS = {
    COMPARE_PREVIOUS: {"today": _("yesterday"), "week": _("last week"), "month": _("last month")},
    COMPARE_YEAR: {
        "today": _("same weekday last year"),
        "week": _("same week last year"),
        "month": _("same month last year"),
    },
}


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
class Change:
    """One figure against its comparison: the % change and which way it went.

    ``percent`` is None when there is nothing to compare with (the previous figure is
    zero): "new" rather than an infinite percentage.
    """

    current: Decimal
    previous: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.previous:
            return None
        return ((self.current - self.previous) * 100 / self.previous).quantize(Decimal("1"))

    @property
    def direction(self) -> str:
        """up / down / flat / new (nothing before) / none (nothing either time)."""
        if not self.previous:
            return "new" if self.current else "none"
        percent = self.percent
        if percent > 0:
            return "up"
        if percent < 0:
            return "down"
        return "flat"

    @property
    def magnitude(self) -> Decimal | None:
        return abs(self.percent) if self.percent is not None else None


@dataclass(frozen=True)
class PeriodSales:
    """A period's sales so far and the same stretch of the period it is compared with."""

    key: str
    start: date
    current: SalesFigures
    previous: SalesFigures
    compare: str = COMPARE_PREVIOUS

    @property
    def label(self) -> str:
        return PERIOD_LABELS[self.key]

    @property
    def previous_label(self) -> str:
        """What the period is compared with, in words: "yesterday", "same week last year"…"""
        return PREVIOUS_LABELS[self.compare][self.key]

    @property
    def revenue_change(self) -> Change:
        return Change(current=self.current.revenue, previous=self.previous.revenue)

    @property
    def orders_change(self) -> Change:
        return Change(current=Decimal(self.current.order_count), previous=Decimal(self.previous.order_count))

    @property
    def average_change(self) -> Change:
        return Change(current=self.current.average_order_value, previous=self.previous.average_order_value)


@dataclass(frozen=True)
class ChannelSales:
    channel: Channel
    today: SalesFigures
    week: SalesFigures
    month: SalesFigures
    month_previous: SalesFigures

    @property
    def month_change(self) -> Change:
        return Change(current=self.month.revenue, previous=self.month_previous.revenue)


@dataclass(frozen=True)
class DashboardFigures:
    """What the owner's dashboard shows, in the store currency and the store's time zone."""

    currency: str
    today: date
    compare: str
    periods: list[PeriodSales]
    by_channel: list[ChannelSales]
    # Orders this month in another currency than the store's: not summed into the figures.
    other_currency_count: int
    latest_orders: list[Order]

    def period(self, key: str) -> PeriodSales:
        return next(p for p in self.periods if p.key == key)

    @property
    def today_total(self) -> SalesFigures:
        return self.period("today").current

    @property
    def week_total(self) -> SalesFigures:
        return self.period("week").current

    @property
    def month_total(self) -> SalesFigures:
        return self.period("month").current

    @property
    def compare_label(self) -> str:
        return COMPARE_CHOICES[self.compare]

    @property
    def previous_labels(self) -> dict[str, str]:
        return PREVIOUS_LABELS[self.compare]


@dataclass(frozen=True)
class Window:
    """A half-open stretch of time [start, end) as aware datetimes."""

    start: datetime
    end: datetime


def store_timezone():
    return timezone.get_default_timezone()


def start_of(day: date) -> datetime:
    """Local midnight of a date in the store's time zone, as an aware datetime.

    Built from the local date (never by adding 24 hours), so days around a daylight-saving
    change have their real length.
    """
    return timezone.make_aware(datetime.combine(day, time.min), store_timezone())


def local_today(now: datetime) -> date:
    return timezone.localdate(now, timezone=store_timezone())


def _month_first(day: date) -> date:
    return day.replace(day=1)


def _next_month_first(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _previous_month_first(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _same_stretch(*, start: date, end_limit: date, offset: timedelta) -> Window:
    """From local midnight of ``start``, ``offset`` of local wall-clock time, never past ``end_limit``."""
    tz = store_timezone()
    naive_end = min(datetime.combine(start, time.min) + offset, datetime.combine(end_limit, time.min))
    return Window(start=start_of(start), end=timezone.make_aware(naive_end, tz))


def period_windows(*, now: datetime, compare: str) -> dict[str, tuple[Window, Window]]:
    """Each period so far (from its local start to ``now``) and its comparison window.

    The comparison covers the same stretch *to date*: at 10:00 today is compared with
    yesterday until 10:00, and the 15th of the month with the first 15 days (to the same
    hour) of last month — a partial period against a whole one would always look bad.
    ``previous``: yesterday, last week (weeks start on Monday), last month (cut at its end
    if it was shorter). ``year``: 364 days earlier for the day and the week, so weekdays
    line up (a Saturday is compared with a Saturday), and the same month last year.
    """
    tz = store_timezone()
    local_now = timezone.localtime(now, tz).replace(tzinfo=None)
    today = local_now.date()
    into_day = local_now - datetime.combine(today, time.min)
    week_start = today - timedelta(days=today.weekday())
    month_start = _month_first(today)
    starts = {"today": today, "week": week_start, "month": month_start}
    if compare == COMPARE_YEAR:
        year_ago = timedelta(days=364)
        previous_starts = {
            "today": today - year_ago,
            "week": week_start - year_ago,
            "month": month_start.replace(year=month_start.year - 1),
        }
    else:
        previous_starts = {
            "today": today - timedelta(days=1),
            "week": week_start - timedelta(days=7),
            "month": _previous_month_first(month_start),
        }
    windows = {}
    for key, start in starts.items():
        offset = (today - start) + into_day
        previous_start = previous_starts[key]
        if key == "month":
            limit = _next_month_first(previous_start)
        else:
            limit = previous_start + (timedelta(days=1) if key == "today" else timedelta(days=7))
        windows[key] = (
            Window(start=start_of(start), end=now),
            _same_stretch(start=previous_start, end_limit=limit, offset=offset),
        )
    return windows


def figure_windows(windows: dict[str, tuple[Window, Window]]) -> list[tuple[datetime, datetime]]:
    """Every window of the figures as (start, end), for ``dashboard_closed.load_sales_days``."""
    return [(window.start, window.end) for pair in windows.values() for window in pair]


def _channels_with_sales(*, windows: dict[str, tuple[Window, Window]], sales) -> list[tuple[Channel, dict]]:
    """Every active channel (and any inactive one with sales in a shown window) with its sums per window.

    The sums come from ``sales`` (``dashboard_closed.SalesDays``): closed days from the
    cache, today and the unfinished day of each comparison window live.
    """
    rows = []
    for channel in sales.channels:
        sums = {}
        for key, (current, previous) in windows.items():
            sums[key] = sales.in_window(channel.pk, current.start, current.end)
            sums[f"{key}_prev"] = sales.in_window(channel.pk, previous.start, previous.end)
        shown = channel.is_active or sums["month"].other_count > 0 or any(s.count > 0 for s in sums.values())
        if shown:
            rows.append((channel, sums))
    return rows


def list_latest_orders(*, limit: int = LATEST_ORDERS_SHOWN) -> QuerySet[Order]:
    """The most recently placed orders, cancelled ones included (drafts have no number yet)."""
    return (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .select_related("channel", "customer")
        .order_by("-placed_at", "-id")[:limit]
    )


def _figures(sums: dict, key: str, *, previous: bool = False) -> SalesFigures:
    found = sums[f"{key}_prev" if previous else key]
    return SalesFigures(revenue=found.revenue, order_count=found.count)


def get_dashboard_figures(
    *, now: datetime | None = None, compare: str = COMPARE_PREVIOUS, sales=None
) -> DashboardFigures:
    """Sales today, this week and this month, each against its comparison, per channel.

    Three queries whatever the number of orders (one with ``sales`` loaded by the caller for
    these windows, as the dashboard view does): the sums per day and channel are computed by
    the database, closed days kept in the cache (``dashboard_closed``); the totals are the
    sums of the channel rows. Only orders in the store currency are
    summed (adding euros to pounds means nothing); orders in another currency are
    counted apart so the page can say so.
    """
    now = now or timezone.now()
    if compare not in COMPARE_CHOICES:
        compare = COMPARE_PREVIOUS
    windows = period_windows(now=now, compare=compare)
    if sales is None:
        from orders.selectors.dashboard_closed import load_sales_days  # it reads this module's helpers

        sales = load_sales_days(now=now, windows=figure_windows(windows))
    currency = settings.STORE_CURRENCY
    totals = {key: (NO_SALES, NO_SALES) for key in PERIODS}
    by_channel: list[ChannelSales] = []
    other_currency_count = 0
    for channel, sums in _channels_with_sales(windows=windows, sales=sales):
        for key in PERIODS:
            current, previous = totals[key]
            totals[key] = (current + _figures(sums, key), previous + _figures(sums, key, previous=True))
        by_channel.append(
            ChannelSales(
                channel=channel,
                today=_figures(sums, "today"),
                week=_figures(sums, "week"),
                month=_figures(sums, "month"),
                month_previous=_figures(sums, "month", previous=True),
            )
        )
        other_currency_count += sums["month"].other_count
    periods = [
        PeriodSales(
            key=key,
            start=local_today(windows[key][0].start),
            current=totals[key][0],
            previous=totals[key][1],
            compare=compare,
        )
        for key in PERIODS
    ]
    return DashboardFigures(
        currency=currency,
        today=local_today(now),
        compare=compare,
        periods=periods,
        by_channel=by_channel,
        other_currency_count=other_currency_count,
        latest_orders=list(list_latest_orders()),
    )
