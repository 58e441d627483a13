"""Read-only stock queries shared by the storefront, staff order entry and the API."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Sum

from inventory.models import StockLevel


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
