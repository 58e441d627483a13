"""Read-only stock queries shared by the storefront, staff order entry and the API."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.models import Variant
from inventory.models import MovementKind, StockLevel, StockMovement


def get_availability(*, variant_ids: Iterable[int], channel_id: int) -> dict[int, int]:
    """Units available to sell (on hand − reserved) per variant, over the channel's locations.

    One query whatever the number of variants; variants without stock are reported as 0.
    """
    variant_ids = list(variant_ids)
    rows = (
        StockLevel.objects.filter(
            variant_id__in=variant_ids, location__channels__id=channel_id, location__is_active=True
        )
        .values("variant_id")
        .annotate(available=Sum(F("on_hand") - F("reserved")))
    )
    availability = dict.fromkeys(variant_ids, 0)
    availability.update({row["variant_id"]: row["available"] for row in rows})
    return availability


# ------------------------------------------------------------------------------
# Stock pages and low-stock alerts
# ------------------------------------------------------------------------------

# How far back sales are read, and how many days of demand a suggested reorder should cover.
SALES_WINDOW_DAYS = 30
COVER_DAYS = 30


def stock_levels_with_figures() -> QuerySet[StockLevel]:
    """Every level with what the stock pages show, in one query whatever the number of rows.

    ``available_qty`` (the model's ``available`` property is the same in Python; an
    annotation cannot take that name), ``threshold`` (the level's own, else the variant's)
    and ``is_low`` (available at or below the threshold) are computed in SQL so that
    filtering, sorting and the CSV export agree with what the page shows.
    """
    return (
        StockLevel.objects.select_related("variant__product__category", "location")
        .annotate(
            available_qty=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=IntegerField()),
            threshold=Coalesce("low_stock_threshold", "variant__low_stock_threshold"),
        )
        .annotate(
            is_low=Case(
                When(available_qty__lte=F("threshold"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def list_low_stock(*, queryset: QuerySet[StockLevel] | None = None, now=None) -> QuerySet[StockLevel]:
    """Active levels whose available stock is at or below their threshold, with a reorder suggestion.

    ``sold_30d`` is the units shipped from that level in the last 30 days (ledger rows of
    kind ``sale`` are negative, hence the minus); ``suggested_reorder`` covers 30 days of
    that demand minus what is still available, and is never below the threshold — a level
    that sold nothing yet is low still deserves a sensible order. Pass ``queryset`` (from
    ``stock_levels_with_figures``, possibly filtered) to narrow a page to low levels.
    """
    since = (now or timezone.now()) - timedelta(days=SALES_WINDOW_DAYS)
    sales = (
        StockMovement.objects.filter(
            variant_id=OuterRef("variant_id"),
            location_id=OuterRef("location_id"),
            kind=MovementKind.SALE,
            created_at__gte=since,
        )
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    qs = queryset if queryset is not None else stock_levels_with_figures()
    sold = ExpressionWrapper(-Coalesce(Subquery(sales, output_field=IntegerField()), 0), output_field=IntegerField())
    # Whole units, rounded up: (sold × cover + window − 1) ÷ window in integer arithmetic.
    demand = (F("sold_30d") * COVER_DAYS + (SALES_WINDOW_DAYS - 1)) / SALES_WINDOW_DAYS
    return (
        qs.filter(is_low=True, variant__is_active=True, location__is_active=True)
        .annotate(sold_30d=sold)
        .annotate(
            suggested_reorder=Greatest(
                ExpressionWrapper(demand - F("available_qty"), output_field=IntegerField()),
                F("threshold"),
                output_field=IntegerField(),
            )
        )
    )


def get_variant_for_stock_card(*, sku: str) -> Variant:
    """The variant by SKU, with its product; raises ``Variant.DoesNotExist``."""
    return Variant.objects.select_related("product__category").get(sku=sku)


def list_levels_for_variant(*, variant: Variant) -> QuerySet[StockLevel]:
    return stock_levels_with_figures().filter(variant=variant).order_by("location__priority", "location__name")


def list_ledger_for_variant(*, variant: Variant) -> QuerySet[StockMovement]:
    """The variant's ledger, newest first, each row with the balance of its location after it.

    The running balance is a window sum computed by the database over the whole ledger of
    the location in time order, so a page in the middle of the history shows the right
    balance without reading the rows before it.
    """
    return (
        StockMovement.objects.filter(variant=variant)
        .select_related("location", "by", "order_line__order")
        .annotate(
            balance=Window(
                Sum("quantity"),
                partition_by=[F("location_id")],
                order_by=[F("created_at").asc(), F("id").asc()],
            )
        )
        .order_by("-created_at", "-id")
    )


def find_variant_by_code(*, code: str) -> Variant | None:
    """What a scanner or a person typed: a SKU (any case) or a barcode."""
    code = code.strip()
    if not code or "\x00" in code:  # no SKU or barcode holds a NUL byte; PostgreSQL cannot compare one
        return None
    variants = Variant.objects.select_related("product")
    exact = variants.filter(Q(sku=code) | Q(barcode=code)).order_by("pk").first()
    return exact or variants.filter(sku__iexact=code).order_by("pk").first()


# ------------------------------------------------------------------------------
# Stock consistency (``manage.py check_stock``)
# ------------------------------------------------------------------------------
# Orders whose reservations are legitimate. Inventory sits below orders, so it names the
# statuses rather than importing ``orders.models.OrderStatus`` (the values are the same).
OPEN_ORDER_STATUSES = ("placed", "processing")


@dataclass(frozen=True)
class StockDiscrepancy:
    """One thing the stock tables disagree about: ``recorded`` is what the row says,
    ``expected`` what the ledger or the reservations say it should be."""

    check: str
    sku: str
    location: str
    recorded: int
    expected: int
    detail: str = ""


def list_stock_discrepancies() -> list[StockDiscrepancy]:
    """Every level whose on hand is not the sum of its ledger or whose reserved is not the
    sum of its reservations, every ledger without a level, and every reservation held for
    an order that is not open. Three queries whatever the size of the stock: the sums are
    correlated subqueries computed by the database, not Python loops."""
    # Imported here so that this section stays self-contained at the end of the module.
    from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce
    from django.utils.translation import gettext as _

    from inventory.models import Reservation, StockMovement

    ledger = (
        StockMovement.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"))
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    promised = (
        Reservation.objects.filter(stock_level_id=OuterRef("pk"))
        .order_by()
        .values("stock_level_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = (
        StockLevel.objects.annotate(
            ledger_total=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0)),
            reserved_total=Coalesce(Subquery(promised, output_field=IntegerField()), Value(0)),
        )
        .filter(~Q(on_hand=F("ledger_total")) | ~Q(reserved=F("reserved_total")))
        .select_related("variant", "location")
        .order_by("variant__sku", "location__code")
    )
    found: list[StockDiscrepancy] = []
    for level in levels:
        if level.on_hand != level.ledger_total:
            found.append(
                StockDiscrepancy(
                    check=_("on hand ≠ ledger"),
                    sku=level.variant.sku,
                    location=level.location.code,
                    recorded=level.on_hand,
                    expected=level.ledger_total,
                )
            )
        if level.reserved != level.reserved_total:
            found.append(
                StockDiscrepancy(
                    check=_("reserved ≠ reservations"),
                    sku=level.variant.sku,
                    location=level.location.code,
                    recorded=level.reserved,
                    expected=level.reserved_total,
                )
            )

    orphans = (
        StockMovement.objects.filter(
            ~Exists(StockLevel.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id")))
        )
        .order_by()
        .values("variant__sku", "location__code")
        .annotate(total=Sum("quantity"))
        .exclude(total=0)
        .order_by("variant__sku", "location__code")
    )
    found.extend(
        StockDiscrepancy(
            check=_("ledger without a stock level"),
            sku=row["variant__sku"],
            location=row["location__code"],
            recorded=0,
            expected=row["total"],
        )
        for row in orphans
    )

    stray = (
        Reservation.objects.exclude(order_line__order__status__in=OPEN_ORDER_STATUSES)
        .select_related("stock_level__variant", "stock_level__location", "order_line__order")
        .order_by("stock_level__variant__sku", "pk")
    )
    found.extend(
        StockDiscrepancy(
            check=_("reservation on a closed order"),
            sku=reservation.stock_level.variant.sku,
            location=reservation.stock_level.location.code,
            recorded=reservation.quantity,
            expected=0,
            detail=_("order %(order)s is %(status)s")
            % {
                "order": reservation.order_line.order.number or reservation.order_line.order_id,
                "status": reservation.order_line.order.get_status_display(),
            },
        )
        for reservation in stray
    )
    return found
