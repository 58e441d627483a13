"""Admin for the storefront carts (imported by ``orders.admin``): read-only, since every change
to a cart goes through ``orders.services.carts`` and its steps are history."""

from django.contrib import admin

from orders.models import Cart, CartEvent, CartLine


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CartLineInline(_ReadOnly, admin.TabularInline):
    model = CartLine
    fields = ("variant", "quantity", "added_at")
    readonly_fields = fields
    extra = 0


class CartEventInline(_ReadOnly, admin.TabularInline):
    model = CartEvent
    fields = ("created_at", "kind", "variant", "quantity", "detail")
    readonly_fields = fields
    extra = 0


@admin.register(Cart)
class CartAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "channel",
        "email",
        "status",
        "stage",
        "reminders_sent",
        "recovered",
        "incentive_used",
        "last_activity_at",
        "order",
    )
    list_filter = ("status", "stage", "recovered", "reminder_consent", "unsubscribed", "channel")
    list_select_related = ("channel", "order")
    search_fields = ("email", "session_key", "order__number", "incentive_code")
    date_hierarchy = "created_at"
    raw_id_fields = ("customer", "order")
    inlines = (CartLineInline, CartEventInline)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(CartLine)
class CartLineAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("cart", "variant", "quantity", "added_at")
    list_select_related = ("cart", "variant__product")
    search_fields = ("variant__sku", "cart__email")


@admin.register(CartEvent)
class CartEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "kind", "cart", "variant", "quantity", "detail")
    list_filter = ("kind",)
    list_select_related = ("cart", "variant__product")
    search_fields = ("cart__email", "variant__sku", "detail")
    date_hierarchy = "created_at"
