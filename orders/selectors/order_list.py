"""Reads of the order list: the filtered, annotated orders, the filter choices, the saved views.

A page of the list costs the same queries at 10 or 100 rows: the rows come with their
channel and customer joined, and the per-order figures (lines, items, backordered) are
correlated subqueries in the same SELECT. Subqueries rather than ``Count`` over a join,
because a ``GROUP BY`` would aggregate every matching order before the page is cut,
while PostgreSQL evaluates these only for the rows of the page, and ``count()`` drops them.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.http import QueryDict

from catalog.models import Channel
from inventory.models import Location
from orders.filters import SORT_KEYS, FilterChoices, OrderFilter
from orders.models import Order, OrderLine, OrderStatus, SavedOrderView


def _line_figure(expression: str) -> Subquery:
    lines = (
        OrderLine.objects.filter(order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(figure=expression)
        .values("figure")
    )
    return Coalesce(Subquery(lines, output_field=IntegerField()), Value(0))


def orders_for_list() -> QuerySet[Order]:
    """Every order with what a row of the list shows; drafts are left to the status filter."""
    backordered = OrderLine.objects.filter(order_id=OuterRef("pk"), quantity_backordered__gt=0)
    return (
        Order.objects.select_related("channel", "customer", "shipping_method", "pickup_location")
        .annotate(
            line_count=_line_figure(Count("pk")),
            item_count=_line_figure(Sum("quantity")),
            has_backorder=Exists(backordered),
        )
        .order_by("-placed_at", "-id")
    )


@dataclass(frozen=True)
class OrderListOptions:
    """What the list page offers besides the rows: the filter choices and the user's saved views."""

    choices: FilterChoices
    saved_views: list[SavedOrderView]


def _option_rows(kind: str, queryset: QuerySet, *, extra: str = "", position: str = "") -> QuerySet:
    return (
        queryset.order_by()
        .annotate(
            option_kind=Value(kind),
            option_extra=F(extra) if extra else Value(""),
            option_position=F(position) if position else Value(0),
        )
        .values_list("option_kind", "pk", "name", "option_extra", "option_position")
    )


def get_order_list_options(*, user=None) -> OrderListOptions:
    """Channels, shipping methods, pickup locations and the user's saved views in one query.

    A UNION of four small tables: the page's cost stays one query here, however many
    filters it offers, rather than one query per select and one for the tabs.
    """
    parts = [
        _option_rows("channel", Channel.objects.all()),
        # shipping is a higher app: its methods are reached through the order's relation.
        _option_rows("method", Order._meta.get_field("shipping_method").related_model.objects.filter(is_active=True)),
        _option_rows("pickup", Location.objects.filter(is_pickup_point=True)),
    ]
    if user is not None and user.is_authenticated:
        parts.append(
            _option_rows("view", SavedOrderView.objects.filter(user=user), extra="query_string", position="position")
        )
    rows = list(parts[0].union(*parts[1:], all=True))
    by_kind: dict[str, list[tuple[str, str]]] = {"channel": [], "method": [], "pickup": []}
    for kind, pk, name, _extra, _position in sorted(rows, key=lambda row: str(row[2]).lower()):
        if kind in by_kind:
            by_kind[kind].append((str(pk), name))
    views = [
        SavedOrderView(pk=pk, user_id=user.pk, name=name, query_string=extra, position=position)
        for kind, pk, name, extra, position in sorted(rows, key=lambda row: (row[4], row[1]))
        if kind == "view"
    ]
    choices = FilterChoices(
        channels=by_kind["channel"], shipping_methods=by_kind["method"], pickup_locations=by_kind["pickup"]
    )
    return OrderListOptions(choices=choices, saved_views=views)


def get_order_filter_choices() -> FilterChoices:
    """The channel, shipping-method and pickup-location choices in one query (a UNION of three)."""
    return get_order_list_options().choices


def list_orders(*, filters: dict, choices: FilterChoices | None = None) -> tuple[OrderFilter, QuerySet[Order]]:
    """The order list narrowed by ``filters`` (the query string), in a stable order.

    Returns the filterset too, so the page can render its form and chips. Invalid filters
    give no rows rather than every row: a mistyped total must not look like "all orders".
    Without a status filter, drafts are left out (they are not orders yet).
    """
    filters = _known_sort_only(filters)
    queryset = orders_for_list()
    if not filters.get("status"):
        # IN rather than NOT: PostgreSQL can count from the status index instead of reading every row.
        queryset = queryset.filter(status__in=[s for s in OrderStatus.values if s != OrderStatus.DRAFT])
    filterset = OrderFilter(filters or None, queryset=queryset, choices=choices or get_order_filter_choices())
    if filterset.is_bound and not filterset.is_valid():
        return filterset, queryset.none()
    orders = filterset.qs
    ordering = list(orders.query.order_by)
    if ordering and ordering[-1] not in ("id", "-id", "pk", "-pk"):
        # The id last, so that pages never repeat or skip an order among equal values.
        ordering = [*ordering, "-id" if ordering[0].startswith("-") else "id"]
        orders = orders.order_by(*ordering)
    if filterset.is_bound and filterset.form.cleaned_data.get("q") and ordering:
        orders = orders.order_by(_unindexed(ordering[0]), *ordering[1:])
    return filterset, orders


def _unindexed(key: str) -> OrderBy:
    """The same sort, written so that no index can serve it: ``COALESCE(col, col)``.

    A search matches few orders, found through its own indexes. Given ``ORDER BY placed_at
    DESC LIMIT 50`` and an index on ``placed_at``, PostgreSQL would rather walk every order
    newest first until 50 of them match the search, which, for a search that matches one
    old order, reads half the table (it guesses thousands of matches). Hiding the sort key
    from the index makes it collect the matches first and sort those.
    """
    name = key.lstrip("-")
    expression = Coalesce(F(name), F(name))
    return expression.desc() if key.startswith("-") else expression.asc()


# Above this many orders, the unfiltered list shows PostgreSQL's estimate of its count
# ("about 99,000 orders") rather than counting every order on each page load.
ESTIMATE_ABOVE = 20_000


class NarrowFirstPages:
    """The filtered orders for ``Paginator``: a page is cut from the ids first, then its rows are read.

    ``ORDER BY total LIMIT 50`` over the wide, joined rows makes PostgreSQL join and sort
    every matching order; sorting only the ids (``WHERE pk IN (SELECT id … LIMIT 50)``)
    keeps the sort narrow and the joins and per-order subqueries to the 50 rows shown. Still
    one query per page, and the count is the queryset's own.

    With ``estimate_before`` (the unfiltered list: the position of the last row the page
    asks for), on PostgreSQL the count is the table's row estimate (``pg_class.reltuples``,
    from its statistics: no row read) when that is above ``ESTIMATE_ABOVE`` and the
    page is well inside it; ``estimated`` then says so, for the page to say "about". An exact
    ``COUNT`` of 100,000 orders is the list's slowest query. Near the estimated end, and for
    smaller shops or any filter, the count is exact. Either way one query.
    """

    ordered = True

    def __init__(self, orders: QuerySet[Order], *, estimate_before: int | None = None):
        self.orders = orders
        self.estimate_before = estimate_before
        self.estimated = False

    def count(self) -> int:
        if self.estimate_before is not None and connection.vendor == "postgresql":
            return self._estimated_or_exact_count()
        return self.orders.count()

    def _estimated_or_exact_count(self) -> int:
        """The table's estimate when large and the page well inside it, else the exact count: one query.

        ``reltuples`` is what ``ANALYZE`` (autovacuum) last found in the orders table, drafts
        included (a few), -1 before the first; the exact ``COUNT`` is an InitPlan of the
        ``CASE``, which PostgreSQL runs only when the estimate is not used.
        """
        ids, params = self.orders.order_by().values("pk").query.sql_with_params()
        # ids is Django's own SQL for the queryset, its values bound as params.
        sql = (
            "SELECT estimate, CASE WHEN estimate >= %s AND %s < estimate * 0.9 THEN NULL"  # noqa: S608
            f" ELSE (SELECT COUNT(*) FROM ({ids}) AS ids) END"
            " FROM (SELECT reltuples::bigint AS estimate FROM pg_class WHERE oid = %s::regclass) AS stats"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [ESTIMATE_ABOVE, self.estimate_before, *params, Order._meta.db_table])
            estimate, exact = cursor.fetchone()
        if exact is None:
            self.estimated = True
            return int(estimate)
        return int(exact)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Order]:
        if not isinstance(key, slice):
            raise TypeError("NarrowFirstPages only hands out pages (slices).")
        ids = self.orders.values("pk")[key]
        return list(orders_for_list().filter(pk__in=ids).order_by(*self.orders.query.order_by))


def _known_sort_only(filters) -> QueryDict:
    """The filters without sort keys outside the whitelist: an old or edited URL sorts by default instead of failing."""
    data = filters.copy() if isinstance(filters, QueryDict) else QueryDict(mutable=True)
    if not isinstance(filters, QueryDict):
        for key, value in (filters or {}).items():
            data.setlist(key, value if isinstance(value, list | tuple) else [value])
    keys = [key for key in data.getlist("o") if key.lstrip("-") in SORT_KEYS]
    if keys:
        data.setlist("o", keys[:1])
    else:
        data.pop("o", None)
    return data


def list_saved_order_views(*, user) -> list[SavedOrderView]:
    """The user's own tabs, in their order; nobody sees another user's views."""
    return list(SavedOrderView.objects.filter(user=user).order_by("position", "id"))
