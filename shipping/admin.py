"""Shipping methods, shipments and tracking in the Django admin.

A shipment's status and dates move through ``shipping.services`` (shipping consumes the
reserved stock and moves the order's fulfilment status), so they are read-only here.
Tracking events are what a carrier or a person said: they can be added, never changed.
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from catalog.admin import format_money, order_link
from shipping.models import (
    CarrierAccount,
    CarrierHandoff,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    ShippingMethod,
    ShippingRate,
    TrackingEvent,
)


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 1


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    inlines = [ShippingRateInline]
    list_display = ("name", "code", "kind", "carrier", "price_display", "free_above_display", "is_active")
    list_filter = ("kind", "is_active", "carrier", "channels")
    search_fields = ("name", "code", "carrier")
    filter_horizontal = ("channels",)

    @admin.display(description=_("price (net)"), ordering="price_amount")
    def price_display(self, obj: ShippingMethod) -> str:
        return format_money(obj.price_amount, settings.STORE_CURRENCY)

    @admin.display(description=_("free above subtotal"), ordering="free_above_amount")
    def free_above_display(self, obj: ShippingMethod) -> str:
        return format_money(obj.free_above_amount, settings.STORE_CURRENCY)


class ShipmentLineInline(admin.TabularInline):
    """What goes in the parcel; fixed once the shipment has left the pending state."""

    model = ShipmentLine
    extra = 0
    fields = ("order_line", "sku", "quantity")
    readonly_fields = ("sku",)
    raw_id_fields = ("order_line",)

    @admin.display(description=_("SKU"))
    def sku(self, obj: ShipmentLine) -> str:
        return obj.order_line.sku if obj.order_line_id else ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShipmentLine]:
        return super().get_queryset(request).select_related("order_line")

    def _editable(self, obj: Shipment | None) -> bool:
        return obj is None or obj.status == Shipment.Status.PENDING

    def has_add_permission(self, request: HttpRequest, obj: Shipment | None = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Shipment | None = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Shipment | None = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class TrackingEventInline(admin.TabularInline):
    """Events newest first; a person may add one, nobody changes or removes one."""

    model = TrackingEvent
    extra = 0
    fields = ("occurred_at", "status", "description", "place", "source", "external_id")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "order_display",
        "status",
        "method",
        "location",
        "carrier",
        "tracking_number",
        "line_count",
        "created_at",
        "shipped_at",
        "delivered_at",
    )
    list_filter = ("status", "method", "location", "carrier", "created_at")
    list_select_related = ("order", "method", "location")
    search_fields = ("order__number", "tracking_number", "order__customer_name", "order__email", "collected_by")
    date_hierarchy = "created_at"
    autocomplete_fields = ("order",)
    readonly_fields = ("status", "created_by", "created_at", "packed_at", "shipped_at", "delivered_at")
    fields = (
        "order",
        "method",
        "location",
        "status",
        "carrier",
        "tracking_number",
        "collected_by",
        "created_by",
        "created_at",
        "packed_at",
        "shipped_at",
        "delivered_at",
    )
    inlines = (ShipmentLineInline, TrackingEventInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return super().get_queryset(request).annotate(line_count=Count("lines", distinct=True))

    def get_readonly_fields(self, request: HttpRequest, obj: Shipment | None = None) -> tuple[str, ...]:
        """A shipment belongs to its order for good; where it ships from is fixed once it is packed."""
        if obj is None:
            return self.readonly_fields
        if obj.status == Shipment.Status.PENDING:
            return (*self.readonly_fields, "order")
        return (*self.readonly_fields, "order", "location", "method")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A shipment that left consumed stock; removing it would break the ledger's story.
        return False

    @admin.display(description=_("order"), ordering="order__number")
    def order_display(self, obj: Shipment) -> str:
        return order_link(obj.order)

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, obj: Shipment) -> int:
        return getattr(obj, "line_count", 0)


@admin.register(ShipmentLine)
class ShipmentLineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "shipment", "order_display", "quantity")
    list_select_related = ("shipment", "order_line__order")
    list_filter = ("shipment__status",)
    search_fields = ("order_line__sku", "order_line__order__number", "shipment__tracking_number")
    raw_id_fields = ("shipment", "order_line")

    @admin.display(description=_("order"), ordering="order_line__order__number")
    def order_display(self, obj: ShipmentLine) -> str:
        return order_link(obj.order_line.order)


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin):
    """What carriers and staff said about shipments; append-only."""

    list_display = ("occurred_at", "shipment", "order_display", "status", "description", "place", "source")
    list_filter = ("status", "source")
    list_select_related = ("shipment__order",)
    search_fields = ("shipment__order__number", "shipment__tracking_number", "description", "place", "external_id")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("shipment",)

    @admin.display(description=_("order"), ordering="shipment__order__number")
    def order_display(self, obj: TrackingEvent) -> str:
        return order_link(obj.shipment.order)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "endpoint_url", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


@admin.register(CarrierHandoff)
class CarrierHandoffAdmin(admin.ModelAdmin):
    """What was handed to which carrier: history, read-only."""

    list_display = ("shipment", "carrier", "manifest_date", "sent_at")
    list_filter = ("carrier", "manifest_date")
    list_select_related = ("shipment", "carrier")
    readonly_fields = ("shipment", "carrier", "manifest_date", "sent_at", "response", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    readonly_fields = ("order_line", "quantity", "condition")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    """Returns are recorded and received through the shipping pages (stock moves), so read-only here."""

    list_display = ("pk", "order", "status", "reason", "created_at", "received_at")
    list_filter = ("status", "reason")
    search_fields = ("order__number",)
    list_select_related = ("order",)
    readonly_fields = ("order", "status", "reason", "note", "created_by", "created_at", "received_at")
    inlines = [ReturnLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ("method", "max_weight_grams", "price_amount")
    list_filter = ("method",)
    list_select_related = ("method",)
    search_fields = ("method__name", "method__code")


@admin.register(ReturnLine)
class ReturnLineAdmin(admin.ModelAdmin):
    """Lines of returns: history, read-only."""

    list_display = ("return_request", "order_line", "quantity", "condition")
    list_select_related = ("return_request", "order_line")
    search_fields = ("order_line__sku", "return_request__order__number")
    readonly_fields = ("return_request", "order_line", "quantity", "condition")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
