"""The dashboard's sums per day, with the closed days (before today) kept in Django's cache.

On 100,000 orders the dashboard spent most of its time summing the same 30 to 90 closed
days again on every load (the figures per channel, the daily series, the top products:
three scans of 70,000-94,000 orders). A closed day's sums only change when one of its
orders changes, so they are kept in the cache, one entry per day with the time it was
computed; today, and the part of a day a comparison window ends in ("yesterday until now's
time of day"), are always read live, so a new order moves every figure (and the projection)
at once.

Which cached days are still right: every load reads, per local day, the newest
``updated_at`` of the orders updated in the last ``ENTRY_LIFE + SETTLE`` (one index range
read on ``order_updated_placed``, a few hundred rows in a busy shop: ~1.5 ms on 100,000
orders). Any change to a past order — cancelled, paid, shipped, edited, its lines changed
(every service saves the order, which bumps ``updated_at``), or an old order imported —
makes its day's entry stale, and only that day is summed again: shipping yesterday's
orders no longer recomputes 90 days. Orders are never deleted, and a placed order's
``placed_at`` never moves.

``SETTLE``: an order saved inside a transaction that commits later is invisible to a load
running in between, which would cache its day without it. An entry is therefore trusted
only when its day's newest change is more than ``SETTLE`` older than the entry; a
transaction that stays open longer than that is bounded by ``ENTRY_LIFE``, after which the
entry is summed again anyway.

The query count is fixed whether the cache answers or not: the channels, the recent
changes, and one query for the days to sum and the live part (grouped by local day).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

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
from django.utils import timezone

from catalog.models import Channel
from catalog.money import ZERO
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)

# Bump the version whenever the shape of what is cached changes.
CACHE_PREFIX = "orders:dashboard:closed:v5"
# How long a computed day is trusted without a change; the recent-changes read covers it.
ENTRY_LIFE = timedelta(hours=24)
# How much older than an entry its day's newest change must be for the entry to be trusted.
SETTLE = timedelta(minutes=15)
# A run of at most this many days to sum again is read day by day (see sku_sales).
SHORT_RUN_DAYS = 7
# Days kept in one cached bundle: this year's 90-day series and last year's comparison month.
KEPT_DAYS = 400


@dataclass(frozen=True)
class Entry:
    """A closed day's cached sums and when they were computed (the real clock, as ``updated_at``)."""

    computed_at: datetime
    value: dict


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


def read_recent_changes(*, today_start: datetime) -> dict[date, datetime]:
    """Per local day before today: the newest ``updated_at`` of its orders changed within ``ENTRY_LIFE + SETTLE``."""
    since = timezone.now() - ENTRY_LIFE - SETTLE
    rows = (
        Order.objects.filter(updated_at__gte=since, placed_at__lt=today_start)
        .annotate(day=TruncDate("placed_at", tzinfo=_helpers().store_timezone()))
        .order_by()
        .values("day")
        .annotate(newest=Max("updated_at"))
    )
    return {row["day"]: row["newest"] for row in rows}


def _cache_key(part: str) -> str:
    zone = str(_helpers().store_timezone()).replace(" ", "_")
    return f"{CACHE_PREFIX}:{part}:{settings.STORE_CURRENCY}:{zone}"


def forget_closed_days() -> None:
    """Drop the cached days (after restoring a database backup: restored rows keep their old ``updated_at``).

    Only these keys: the cache may share its Redis database with Celery's broker, so
    ``cache.clear()`` is never the way.
    """
    try:
        today = timezone.localdate(timezone=_helpers().store_timezone())
        days = [_cache_key(f"top:{(today - timedelta(days=n)).isoformat()}") for n in range(KEPT_DAYS)]
        cache.delete_many([_cache_key("sales"), _cache_key("top-total"), *days])
    except Exception:
        logger.warning("Dashboard cache unreachable; cached days not dropped.", exc_info=True)


def _cache_read(part: str):
    """The cached value of ``part``, or None when the cache cannot be reached (the days are then summed here)."""
    try:
        return cache.get(_cache_key(part))
    except Exception:
        logger.warning("Dashboard cache unreachable; summing closed days from the database.", exc_info=True)
        return None


def _cache_write(part: str, value) -> None:
    try:
        cache.set(_cache_key(part), value, int(ENTRY_LIFE.total_seconds()))
    except Exception:
        logger.warning("Dashboard cache unreachable; closed days not kept.", exc_info=True)


def _trusted(day: date, computed_at: datetime, *, checked_at: datetime, recent: dict[date, datetime]) -> bool:
    """Whether a day computed at ``computed_at`` is still right: within its life, no change since (``SETTLE``)."""
    return computed_at > checked_at - ENTRY_LIFE and (day not in recent or recent[day] < computed_at - SETTLE)


def _fresh_entries(part: str, *, checked_at: datetime, recent: dict[date, datetime]) -> dict[date, Entry]:
    """The cached days of ``part`` still right at ``checked_at`` (none when the cache cannot be reached)."""
    bundle = _cache_read(part) or {}
    return {
        day: entry
        for day, entry in bundle.items()
        if _trusted(day, entry.computed_at, checked_at=checked_at, recent=recent)
    }


def _day_entries(part: str, days: set[date]) -> dict[date, Entry]:
    """The cached entries of ``days`` for a part kept one key per day (large values: only changed days are rewritten)."""
    if not days:
        return {}
    keys = {_cache_key(f"{part}:{day.isoformat()}"): day for day in days}
    try:
        return {keys[key]: entry for key, entry in cache.get_many(list(keys)).items()}
    except Exception:
        logger.warning("Dashboard cache unreachable; summing closed days from the database.", exc_info=True)
        return {}


def _keep_day_entries(part: str, entries: dict[date, Entry]) -> None:
    try:
        cache.set_many(
            {_cache_key(f"{part}:{day.isoformat()}"): entry for day, entry in entries.items()},
            int(ENTRY_LIFE.total_seconds()),
        )
    except Exception:
        logger.warning("Dashboard cache unreachable; closed days not kept.", exc_info=True)


def _keep_entries(part: str, entries: dict[date, Entry], *, today: date) -> None:
    """Write the bundle of ``part`` back: the fresh days and the ones just summed, the last ``KEPT_DAYS`` only."""
    oldest = today - timedelta(days=KEPT_DAYS)
    _cache_write(part, {day: entry for day, entry in entries.items() if day >= oldest})


@dataclass(frozen=True)
class SalesDays:
    """Sales per channel for every day asked for and for each window's unfinished last day."""

    today: date
    channels: list[Channel]
    checked_at: datetime  # when the recent changes were read (the real clock)
    recent: dict[date, datetime]  # read_recent_changes(), for the top products' entries
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

    Three queries whatever the number of orders or the cache: the channels, the recent
    changes, and one grouped by local day and channel over the closed days not cached (or
    changed since), today, and the unfinished days.
    """
    helpers = _helpers()
    tz = helpers.store_timezone()
    today = helpers.local_today(now)
    today_start = helpers.start_of(today)
    channels = list(Channel.objects.order_by("name", "pk"))
    checked_at = timezone.now()
    recent = read_recent_changes(today_start=today_start)

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

    entries = _fresh_entries("sales", checked_at=checked_at, recent=recent)
    missing = sorted(closed - entries.keys())
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
        entries |= {day: Entry(computed_at=checked_at, value=sums) for day, sums in computed.items()}
        _keep_entries("sales", entries, today=today)
    for day in closed:
        full[day] = entries[day].value
    return SalesDays(today=today, channels=channels, checked_at=checked_at, recent=recent, full=full, part=part)


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
    """One SKU's sales over a window, as ``sku_sales`` returns them."""

    units: int
    revenue: Decimal
    name: str
    variant: str


def _line_sums(lines):
    return (
        lines.order_by()
        .values("day", "sku")
        .annotate(
            name=Max("product_name"),
            variant=Max("variant_name"),
            units=Sum("quantity"),
            revenue=Coalesce(Sum("line_total_amount"), Value(ZERO), output_field=DecimalField()),
        )
    )


@dataclass
class SkuTotals:
    """Units, net revenue in cents and names per SKU over some days: plain dicts of ints and
    strings, quick to unpickle and to add up.

    (A dict of ``SkuSales`` per day made the warm dashboard add up ~12,000 objects a load,
    ~30 ms, and unpickling as many ``Decimal`` revenues cost ~15 ms more; the window's total
    is cached too, see ``sku_sales``.)
    """

    units: dict[str, int] = field(default_factory=dict)
    cents: dict[str, int] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, other: "SkuTotals") -> "SkuTotals":
        units, cents = self.units, self.cents
        for sku, count in other.units.items():
            units[sku] = units.get(sku, 0) + count
        for sku, amount in other.cents.items():
            cents[sku] = cents.get(sku, 0) + amount
        self.names.update(other.names)
        return self

    def subtract(self, other: "SkuTotals") -> "SkuTotals":
        """Take a day out again (it changed, or left the window); a SKU left with nothing goes."""
        units, cents = self.units, self.cents
        for sku in other.units.keys() | other.cents.keys():
            units[sku] = units.get(sku, 0) - other.units.get(sku, 0)
            cents[sku] = cents.get(sku, 0) - other.cents.get(sku, 0)
            if not units[sku] and not cents[sku]:
                del units[sku], cents[sku]
                self.names.pop(sku, None)
        return self


def _cents(amount: Decimal) -> int:
    # SQLite sums decimals as floats (93.8900000000001): round to the cent, never truncate.
    return int((Decimal(amount) * 100).to_integral_value(ROUND_HALF_UP))


@dataclass(frozen=True)
class WindowTotal:
    """The closed days' ``SkuTotals`` over a window, with the day entries (and their times) it was added from."""

    covered: dict[date, datetime]
    skus: SkuTotals


def sku_sales(*, now: datetime, days: int, sales: SalesDays | None = None) -> dict[str, SkuSales]:
    """Units and net line revenue per SKU from the start of the day ``days - 1`` days ago until ``now``.

    One query (two without ``sales``, which brings the recent changes): the lines of today,
    and of the closed days whose totals per SKU are not cached (or changed since), grouped
    by local day and SKU. A single day's lines are looked up by order id (see OrderIdIn),
    a run of days through the join on the orders. The closed days' total over the window
    is cached as well, with the entries (and their times) it was added up from: a load with
    no change reads that one small value; after a change, only the changed days (and the
    day that left the window at midnight) are taken out of it and added in again.
    """
    helpers = _helpers()
    tz = helpers.store_timezone()
    today = helpers.local_today(now)
    today_start = helpers.start_of(today)
    if sales is not None and sales.today == today:
        checked_at, recent = sales.checked_at, sales.recent
    else:
        checked_at = timezone.now()
        recent = read_recent_changes(today_start=today_start)
    closed = {today - timedelta(days=n) for n in range(1, days)}
    totals: dict[int, WindowTotal] = _cache_read("top-total") or {}
    total = totals.get(days)
    # The days of the cached total still right; the others are taken out of it and added again.
    kept = {
        day
        for day, at in (total.covered.items() if total else ())
        if day in closed and _trusted(day, at, checked_at=checked_at, recent=recent)
    }
    dropped = set(total.covered) - kept if total else set()
    found = _day_entries("top", dropped | (closed - kept))
    entries = {
        day: entry
        for day, entry in found.items()
        if day in closed and _trusted(day, entry.computed_at, checked_at=checked_at, recent=recent)
    }
    if total and any(day not in found or found[day].computed_at != total.covered[day] for day in dropped):
        # A dropped day's entry is gone or was computed again since: add the whole window up anew.
        total, kept = None, set()
        entries |= {
            day: entry
            for day, entry in _day_entries("top", closed - entries.keys()).items()
            if _trusted(day, entry.computed_at, checked_at=checked_at, recent=recent)
        }
    missing = closed - kept - entries.keys()
    sales_orders = Order.objects.exclude(status__in=helpers._NOT_SALES).filter(currency=settings.STORE_CURRENCY)

    def one_day(day: date, start: datetime, end: datetime, *, inclusive: bool = False):
        orders = sales_orders.filter(placed_at__gte=start, **{"placed_at__lte" if inclusive else "placed_at__lt": end})
        lines = OrderLine.objects.filter(OrderIdIn(Subquery(orders.order_by().values("id"))))
        return _line_sums(lines.annotate(day=Value(day, output_field=DateField())))

    parts = [one_day(today, today_start, now, inclusive=True)]
    for start, end in _day_ranges(missing):
        if end - start <= timedelta(days=SHORT_RUN_DAYS, hours=1):  # (25-hour days when the clocks go back)
            # A few days (the ones changed lately): each day's lines by order id. As a join, a
            # run of two days already made PostgreSQL read all the lines (30 ms instead of 6).
            for day in sorted(day for day in missing if start <= helpers.start_of(day) < end):
                parts.append(one_day(day, helpers.start_of(day), helpers.start_of(day + timedelta(days=1))))
        else:
            lines = OrderLine.objects.exclude(order__status__in=helpers._NOT_SALES).filter(
                order__currency=settings.STORE_CURRENCY, order__placed_at__gte=start, order__placed_at__lt=end
            )
            parts.append(_line_sums(lines.annotate(day=TruncDate("order__placed_at", tzinfo=tz))))
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    live = SkuTotals()
    computed: dict[date, SkuTotals] = {day: SkuTotals() for day in missing}
    for row in rows:  # one row per day and SKU
        into, sku = (live if row["day"] == today else computed[row["day"]]), row["sku"]
        into.units[sku] = into.units.get(sku, 0) + row["units"]
        into.cents[sku] = into.cents.get(sku, 0) + _cents(row["revenue"])
        into.names[sku] = (row["name"], row["variant"])
    if missing:
        fresh = {day: Entry(computed_at=checked_at, value=skus) for day, skus in computed.items()}
        _keep_day_entries("top", fresh)
        entries |= fresh
    if dropped or kept != closed:
        window = SkuTotals().add(total.skus) if total else SkuTotals()
        for day in dropped if total else ():
            window.subtract(found[day].value)
        for day in sorted(closed - kept):
            window.add(entries[day].value)
        covered = {day: total.covered[day] for day in kept} | {day: entries[day].computed_at for day in closed - kept}
        total = WindowTotal(covered=covered, skus=window)
        _cache_write("top-total", {**totals, days: total})
    result = SkuTotals().add(total.skus).add(live)
    return {
        sku: SkuSales(
            units=units,
            revenue=Decimal(result.cents[sku]).scaleb(-2),
            name=result.names[sku][0],
            variant=result.names[sku][1],
        )
        for sku, units in result.units.items()
    }
