"""The dashboard's sums per day, with the closed days (before today) kept in Django's cache.

On 100,000 orders the dashboard spent most of its time summing the same 30 to 90 closed
days again on every load (the figures per channel, the daily series, the top products:
three scans of 70,000-94,000 orders). A closed day's sums only change when one of its
orders changes, so they are kept in the cache; today, and the part of a day a comparison
window ends in ("yesterday until now's time of day"), are always read live, so a new
order moves every figure (and the projection) at once.

The cache key holds the newest ``updated_at`` of the orders placed before today (one index
read on PostgreSQL, ``order_updated_placed``): any change to a past order (cancelled,
edited, its lines changed — every service saves the order, which bumps ``updated_at`` —
or an import of old orders) gives a new key, so stale sums are never read; today's date is
in the key too, so at midnight yesterday becomes a closed day. Orders are never deleted,
and a placed order's ``placed_at`` never moves. Within one key, only the days not cached
yet are queried (all of them after a change, none on a hit).

The query count is fixed whether the cache answers or not: the days to compute and the live
part are read by the same query (grouped by local day), the key by a subquery of the query
that reads the channels.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DecimalField,
    Expression,
    IntegerField,
    Max,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import Col
from django.db.models.functions import Coalesce, TruncDate

from catalog.models import Channel
from catalog.money import ZERO
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)

# Bump the version whenever the shape of what is cached changes.
CACHE_PREFIX = "orders:dashboard:closed:v2"
# A new key every day and after every change anyway. The expiry bounds one rare race: a
# transaction that saved a past order *before* another one's save but commits *after* a load
# cached the sums leaves the newest ``updated_at`` unchanged; its change shows at the latest
# when the entry expires.
CACHE_SECONDS = 10 * 60


@dataclass(frozen=True)
class Sums:
    """Sales of one channel over some stretch: store-currency revenue and orders, other-currency orders."""

    revenue: Decimal = ZERO
    count: int = 0
    other_count: int = 0

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(
            revenue=self.revenue + other.revenue,
            count=self.count + other.count,
            other_count=self.other_count + other.other_count,
        )


NO_SUMS = Sums()
Span = tuple[datetime, datetime]


def _helpers():
    # dashboard.py imports this module; its helpers are read late to avoid a circular import.
    from orders.selectors import dashboard

    return dashboard


def split_window(start: datetime, end: datetime) -> tuple[list[date], Span | None]:
    """[start, end) as whole local days plus the part of the day it ends in (None if it ends at midnight).

    ``start`` is a local midnight (every dashboard window starts at one).
    """
    helpers = _helpers()
    day = helpers.local_today(start)
    if helpers.start_of(day) != start:
        raise ValueError("A dashboard window starts at local midnight.")
    days = []
    while helpers.start_of(day + timedelta(days=1)) <= end:
        days.append(day)
        day += timedelta(days=1)
    rest = (helpers.start_of(day), end) if helpers.start_of(day) < end else None
    return days, rest


def _day_ranges(days) -> list[Span]:
    """Consecutive days merged into [local midnight, local midnight) spans."""
    start_of = _helpers().start_of
    spans: list[Span] = []
    run: list[date] = []
    for day in sorted(days):
        if run and day != run[-1] + timedelta(days=1):
            spans.append((start_of(run[0]), start_of(run[-1] + timedelta(days=1))))
            run = []
        run.append(day)
    if run:
        spans.append((start_of(run[0]), start_of(run[-1] + timedelta(days=1))))
    return spans


def _version_subquery(before: datetime) -> Subquery:
    """The newest ``updated_at`` of the orders placed before ``before`` (served by ``order_updated_placed``)."""
    newest = Order.objects.filter(placed_at__lt=before).order_by("-updated_at").values("updated_at")[:1]
    return Subquery(newest)


def _cache_key(*, today: date, version: datetime | None, part: str) -> str:
    stamp = version.isoformat() if version else "none"
    zone = str(_helpers().store_timezone()).replace(" ", "_")
    return f"{CACHE_PREFIX}:{part}:{settings.STORE_CURRENCY}:{zone}:{today.isoformat()}:{stamp}"


def _cache_get(key: str):
    """The cached value, or None when the cache cannot be reached: the dashboard then sums every day itself."""
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Dashboard cache unreachable; summing closed days from the database.", exc_info=True)
        return None


def _cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception:
        logger.warning("Dashboard cache unreachable; closed days not kept.", exc_info=True)


@dataclass(frozen=True)
class SalesDays:
    """Sales per channel for every day asked for and for each window's unfinished last day."""

    today: date
    channels: list[Channel]
    version: datetime | None
    full: dict[date, dict[int, Sums]]
    part: dict[Span, dict[int, Sums]]

    def in_window(self, channel_id: int, start: datetime, end: datetime) -> Sums:
        days, rest = split_window(start, end)
        total = NO_SUMS
        for day in days:
            total += self.full[day].get(channel_id, NO_SUMS)
        if rest:
            total += self.part[rest].get(channel_id, NO_SUMS)
        return total

    def day_total(self, day: date) -> Sums:
        return sum(self.full[day].values(), NO_SUMS)


def _sums(revenue, count, other) -> Sums:
    return Sums(revenue=revenue if revenue is not None else ZERO, count=count or 0, other_count=other or 0)


def load_sales_days(*, now: datetime, windows: list[tuple[datetime, datetime]], series_days: int = 0) -> SalesDays:
    """Sales per channel for the whole days of ``windows``, their unfinished last days, and the last ``series_days`` days.

    Two queries whatever the number of orders or the cache: the channels (with the cache
    key's version as a subquery), and one grouped by local day and channel over the closed
    days not cached yet, today, and the unfinished days.
    """
    helpers = _helpers()
    tz = helpers.store_timezone()
    today = helpers.local_today(now)
    today_start = helpers.start_of(today)
    channels = list(Channel.objects.annotate(closed_version=_version_subquery(today_start)).order_by("name", "pk"))
    version = channels[0].closed_version if channels else None
    key = _cache_key(today=today, version=version, part="sales")

    closed: set[date] = set()
    live: set[date] = {today}
    partials: set[Span] = set()
    for start, end in windows:
        days, rest = split_window(start, end)
        for day in days:
            (closed if day < today else live).add(day)
        if rest:
            partials.add(rest)
    closed |= {today - timedelta(days=n) for n in range(1, series_days)}

    cached: dict[date, dict[int, Sums]] = _cache_get(key) or {}
    missing = sorted(closed - cached.keys())
    ordered_partials = sorted(partials)
    store = Q(currency=settings.STORE_CURRENCY)
    sales = Order.objects.exclude(status__in=helpers._NOT_SALES)
    # One part per span, glued with UNION ALL: each part is an index range of its own (an OR
    # of ranges would read the whole index). Part -1: whole days; part i: the i-th partial span.
    spans = [(-1, span) for span in _day_ranges(set(missing) | live)]
    spans += list(enumerate(ordered_partials))
    parts = [
        sales.filter(placed_at__gte=start, placed_at__lt=end)
        .annotate(day=TruncDate("placed_at", tzinfo=tz), part=Value(index, output_field=IntegerField()))
        .order_by()
        .values("part", "day", "channel_id")
        .annotate(
            revenue=Sum("total_amount", filter=store),
            n=Count("id", filter=store),
            other=Count("id", filter=~store),
        )
        for index, (start, end) in spans
    ]
    rows = parts[0].union(*parts[1:], all=True)
    computed: dict[date, dict[int, Sums]] = {day: {} for day in missing}
    full: dict[date, dict[int, Sums]] = {day: {} for day in live}
    part: dict[Span, dict[int, Sums]] = {span: {} for span in ordered_partials}
    for row in rows:
        day, channel_id = row["day"], row["channel_id"]
        sums = _sums(row["revenue"], row["n"], row["other"])
        if row["part"] >= 0:
            part[ordered_partials[row["part"]]][channel_id] = sums
        elif day in computed:
            computed[day][channel_id] = sums
        else:
            full[day][channel_id] = sums
    if missing:
        cached = {**cached, **computed}
        _cache_set(key, cached)
    for day in closed:
        full[day] = cached[day]
    return SalesDays(today=today, channels=channels, version=version, full=full, part=part)


class OrderIdIn(Expression):
    """``order_id IN (subquery)``; on PostgreSQL ``order_id = ANY(ARRAY(subquery))``.

    With ``IN`` PostgreSQL estimates the join of today's ~1,400 orders to their lines at
    the cost of reading all 180,000 lines and, after an ``ANALYZE``, flips between that
    (40-80 ms) and probing the lines' index per order (5 ms). An array of unknown length is
    always probed through the index (``orderline_order_covering``, index-only).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, subquery: Subquery):
        super().__init__()
        self.column = Col("orders_orderline", OrderLine._meta.get_field("order"))
        self.subquery = subquery

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(ARRAY{subquery_sql})", (*column_params, *subquery_params)
        return f"{column_sql} IN {subquery_sql}", (*column_params, *subquery_params)


@dataclass(frozen=True)
class SkuSales:
    units: int
    revenue: Decimal
    name: str
    variant: str

    def __add__(self, other: "SkuSales") -> "SkuSales":
        return SkuSales(
            units=self.units + other.units,
            revenue=self.revenue + other.revenue,
            name=max(self.name, other.name),
            variant=max(self.variant, other.variant),
        )


def sku_sales(*, now: datetime, days: int, sales: SalesDays | None = None) -> dict[str, SkuSales]:
    """Units and net line revenue per SKU from the start of the day ``days - 1`` days ago until ``now``.

    One query (two without ``sales``, which brings the cache key's version): the lines of
    today, grouped by local day and SKU, and of the closed days too when their totals per
    SKU are not cached yet (one contiguous range either way).
    """
    helpers = _helpers()
    tz = helpers.store_timezone()
    today = helpers.local_today(now)
    today_start = helpers.start_of(today)
    if sales is not None and sales.today == today:
        version = sales.version
    else:
        version = (
            Order.objects.filter(placed_at__lt=today_start)
            .order_by("-updated_at")
            .values_list("updated_at", flat=True)
            .first()
        )
    key = _cache_key(today=today, version=version, part=f"top{days}")
    closed: dict[str, SkuSales] | None = _cache_get(key)
    sums = {
        "name": Max("product_name"),
        "variant": Max("variant_name"),
        "units": Sum("quantity"),
        "revenue": Coalesce(Sum("line_total_amount"), Value(ZERO), output_field=DecimalField()),
    }
    if closed is not None:
        # Today only: the lines of today's orders, looked up by order id (see OrderIdIn).
        todays = Order.objects.exclude(status__in=helpers._NOT_SALES).filter(
            currency=settings.STORE_CURRENCY, placed_at__gte=today_start, placed_at__lte=now
        )
        rows = (
            OrderLine.objects.filter(OrderIdIn(Subquery(todays.order_by().values("id"))))
            .annotate(day=Value(today, output_field=DateField()))
            .order_by()
            .values("day", "sku")
            .annotate(**sums)
        )
    else:
        since = helpers.start_of(today - timedelta(days=days - 1))
        rows = (
            OrderLine.objects.exclude(order__status__in=helpers._NOT_SALES)
            .filter(order__currency=settings.STORE_CURRENCY, order__placed_at__gte=since, order__placed_at__lte=now)
            .annotate(day=TruncDate("order__placed_at", tzinfo=tz))
            .order_by()
            .values("day", "sku")
            .annotate(**sums)
        )
    live: dict[str, SkuSales] = {}
    computed: dict[str, SkuSales] = {}
    for row in rows:
        found = SkuSales(units=row["units"], revenue=row["revenue"], name=row["name"], variant=row["variant"])
        into = live if row["day"] == today else computed
        sku = row["sku"]
        into[sku] = into[sku] + found if sku in into else found
    if closed is None:
        closed = computed
        _cache_set(key, closed)
    totals = dict(closed)
    for sku, found in live.items():
        totals[sku] = totals[sku] + found if sku in totals else found
    return totals
