"""Stock in the Django admin: locations, levels, the ledger and reservations.

Stock quantities change only through ``inventory.services`` so that the ledger always sums
to the levels: the admin shows ``on_hand`` and ``reserved`` read-only (only the low-stock
threshold is editable) and the ledger and reservations cannot be added, edited or deleted.
"""

from django.contrib import admin
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from catalog.admin import order_link
from inventory.models import Location, Reservation, StockLevel, StockMovement


class ReadOnlyAdminMixin:
    """History written by services only: viewable, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class LowStockFilter(admin.SimpleListFilter):
    """Levels whose available stock is at or below their threshold (or the variant's)."""

    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", _("Low stock")), ("out", _("Out of stock"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
        available = F("on_hand") - F("reserved")
        if self.value() == "low":
            threshold = Coalesce("low_stock_threshold", "variant__low_stock_threshold")
            return queryset.alias(available_qty=available, threshold=threshold).filter(
                available_qty__lte=F("threshold")
            )
        if self.value() == "out":
            return queryset.alias(available_qty=available).filter(available_qty__lte=0)
        return queryset


class ReservationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Reservation
    extra = 0
    fields = ("order", "order_line", "quantity", "created_at")
    readonly_fields = fields

    @admin.display(description=_("order"))
    def order(self, obj: Reservation) -> str:
        return order_link(obj.order_line.order)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reservation]:
        return super().get_queryset(request).select_related("order_line__order")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "priority", "is_pickup_point", "city", "is_active")
    list_filter = ("kind", "is_pickup_point", "is_active", "channels")
    search_fields = ("name", "code", "city", "postal_code")
    filter_horizontal = ("channels",)


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ("variant", "location", "on_hand", "reserved", "available", "threshold", "updated_at")
    list_filter = (LowStockFilter, "location", "location__kind")
    list_select_related = ("variant__product", "location")
    search_fields = ("variant__sku", "variant__barcode", "variant__product__name", "location__code")
    autocomplete_fields = ("variant",)
    fields = ("variant", "location", "on_hand", "reserved", "low_stock_threshold", "updated_at")
    inlines = (ReservationInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: StockLevel | None = None) -> tuple[str, ...]:
        """Quantities move through inventory services only; a level keeps its variant and place."""
        if obj is None:
            return ("on_hand", "reserved", "updated_at")
        return ("variant", "location", "on_hand", "reserved", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The ledger refers to the level's variant and location; removing it would orphan history.
        return False

    @admin.display(description=_("available"))
    def available(self, obj: StockLevel) -> int:
        return obj.available

    @admin.display(description=_("low stock threshold"))
    def threshold(self, obj: StockLevel) -> int:
        if obj.low_stock_threshold is not None:
            return obj.low_stock_threshold
        return obj.variant.low_stock_threshold


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: every signed change of on-hand stock. Append-only."""

    list_display = ("created_at", "variant", "location", "kind", "signed_quantity", "reason", "order", "by")
    list_filter = ("kind", "location")
    list_select_related = ("variant__product", "location", "order_line__order", "by")
    search_fields = ("variant__sku", "variant__product__name", "reason", "order_line__order__number")
    date_hierarchy = "created_at"

    @admin.display(description=_("quantity"), ordering="quantity")
    def signed_quantity(self, obj: StockMovement) -> str:
        return f"{obj.quantity:+d}"

    @admin.display(description=_("order"), ordering="order_line__order__number")
    def order(self, obj: StockMovement) -> str | None:
        return order_link(obj.order_line.order) if obj.order_line else None


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Stock promised to order lines; created and released by services only."""

    list_display = ("created_at", "order", "sku", "location", "quantity")
    list_filter = ("stock_level__location",)
    list_select_related = ("order_line__order", "stock_level__variant", "stock_level__location")
    search_fields = ("order_line__order__number", "order_line__sku")
    date_hierarchy = "created_at"

    @admin.display(description=_("order"), ordering="order_line__order__number")
    def order(self, obj: Reservation) -> str:
        return order_link(obj.order_line.order)

    @admin.display(description=_("SKU"), ordering="order_line__sku")
    def sku(self, obj: Reservation) -> str:
        return obj.order_line.sku

    @admin.display(description=_("location"), ordering="stock_level__location__name")
    def location(self, obj: Reservation) -> str:
        return str(obj.stock_level.location)
