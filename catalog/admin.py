"""The catalogue in the Django admin: products with their variants, prices and channels.

The admin is the merchant's back-office until the dedicated pages land, so every
changelist costs a fixed number of queries (``list_select_related`` and annotated counts)
whatever the number of rows. Stock is shown here read-only: it changes through
``inventory.services`` only, so that the ledger always explains the levels.
"""

from decimal import Decimal

from django.contrib import admin
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    Category,
    Channel,
    CustomerGroup,
    DiscountCode,
    DiscountRedemption,
    Price,
    PriceList,
    Product,
    StoreSettings,
    TaxRate,
    Variant,
)
from catalog.templatetags.money import format_money as money_for_locale
from inventory.models import StockLevel


def format_money(amount: Decimal | None, currency: str) -> str | None:
    """An amount with its currency as the back-office shows it everywhere (``|money``).

    No amount gives None, which the admin shows as its usual empty value.
    """
    return money_for_locale(amount, currency) or None


def order_link(order) -> str | None:
    """The order's number as a link to its admin page, for rows that belong to an order."""
    if order is None:
        return None
    url = reverse("admin:orders_order_change", args=[order.pk])
    return format_html('<a href="{}">{}</a>', url, str(order))


# ------------------------------------------------------------------------------
# Inlines
# ------------------------------------------------------------------------------
class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ("sku", "name", "barcode", "weight_grams", "allow_backorder", "low_stock_threshold", "is_active")
    show_change_link = True


class PriceInline(admin.TabularInline):
    """Prices of a variant (on the variant page) or of a price list (on the price list page)."""

    model = Price
    extra = 0
    fields = ("price_list", "variant", "min_quantity", "amount")
    autocomplete_fields = ("variant",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Price]:
        return super().get_queryset(request).select_related("price_list", "variant__product")


class StockLevelInline(admin.TabularInline):
    """Stock of a variant per location; read-only here (stock moves through inventory services)."""

    model = StockLevel
    extra = 0
    fields = ("location", "on_hand", "reserved", "available", "low_stock_threshold")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    @admin.display(description=_("available"))
    def available(self, obj: StockLevel) -> int:
        return obj.available

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockLevel]:
        return super().get_queryset(request).select_related("location", "variant__product")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# ------------------------------------------------------------------------------
# Model admins
# ------------------------------------------------------------------------------
@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("name", "rate", "category")
    list_filter = ("category",)
    search_fields = ("name",)


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "currency", "prices_include_tax", "price_count")
    search_fields = ("name", "code")
    list_filter = ("currency", "prices_include_tax")
    inlines = (PriceInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceList]:
        return super().get_queryset(request).annotate(price_count=Count("prices", distinct=True))

    @admin.display(description=_("prices"), ordering="price_count")
    def price_count(self, obj: PriceList) -> int:
        return obj.price_count


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "product_count")
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(product_count=Count("products", distinct=True))

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, obj: Category) -> int:
        return obj.product_count


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "tax_rate", "variant_count", "is_active", "created_at")
    list_display_links = ("name",)
    list_filter = ("is_active", "category", "channels", "tax_rate")
    list_select_related = ("category", "tax_rate")
    search_fields = ("name", "slug", "variants__sku", "variants__barcode")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    date_hierarchy = "created_at"
    inlines = (VariantInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).annotate(variant_count=Count("variants", distinct=True))

    @admin.display(description=_("variants"), ordering="variant_count")
    def variant_count(self, obj: Product) -> int:
        return obj.variant_count


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = (
        "sku",
        "product",
        "name",
        "barcode",
        "total_on_hand",
        "total_reserved",
        "allow_backorder",
        "is_active",
    )
    list_filter = ("is_active", "allow_backorder", "product__category", "product__is_active")
    list_select_related = ("product",)
    search_fields = ("sku", "barcode", "name", "product__name")
    autocomplete_fields = ("product",)
    date_hierarchy = "created_at"
    inlines = (PriceInline, StockLevelInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        # Both sums walk the same single join, so neither multiplies the other.
        return (
            super()
            .get_queryset(request)
            .annotate(total_on_hand=Sum("stock_levels__on_hand"), total_reserved=Sum("stock_levels__reserved"))
        )

    @admin.display(description=_("on hand"), ordering="total_on_hand")
    def total_on_hand(self, obj: Variant) -> int:
        return obj.total_on_hand or 0

    @admin.display(description=_("reserved"), ordering="total_reserved")
    def total_reserved(self, obj: Variant) -> int:
        return obj.total_reserved or 0


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("variant", "price_list", "min_quantity", "amount_display")
    list_filter = ("price_list",)
    list_select_related = ("variant__product", "price_list")
    search_fields = ("variant__sku", "variant__product__name", "price_list__name", "price_list__code")
    autocomplete_fields = ("variant",)

    @admin.display(description=_("unit price"), ordering="amount")
    def amount_display(self, obj: Price) -> str:
        kind = _("incl. VAT") if obj.price_list.prices_include_tax else _("net")
        return f"{format_money(obj.amount, obj.price_list.currency)} ({kind})"


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "price_list", "product_count", "requires_payment", "is_active")
    list_filter = ("kind", "requires_payment", "is_active")
    list_select_related = ("price_list",)
    search_fields = ("name", "code")
    autocomplete_fields = ("products",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Channel]:
        return super().get_queryset(request).annotate(product_count=Count("products", distinct=True))

    @admin.display(description=_("products sold"), ordering="product_count")
    def product_count(self, obj: Channel) -> int:
        return obj.product_count


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "price_list", "customer_count")
    list_select_related = ("price_list",)
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustomerGroup]:
        return super().get_queryset(request).annotate(customer_count=Count("customers", distinct=True))

    @admin.display(description=_("customers"), ordering="customer_count")
    def customer_count(self, obj: CustomerGroup) -> int:
        return obj.customer_count


@admin.register(StoreSettings)
class StoreSettingsAdmin(admin.ModelAdmin):
    """One row: adding a second or deleting the first is not offered."""

    fieldsets = (
        (_("Store"), {"fields": ("name", "legal_name", "logo", "email", "phone", "website")}),
        (_("Address"), {"fields": ("address_line1", "postal_code", "city", "country")}),
        (
            _("Invoicing"),
            {
                "fields": (
                    "vat_id",
                    "registration",
                    "iban",
                    "bic",
                    "invoice_series",
                    "credit_note_series",
                    "default_payment_terms_days",
                )
            },
        ),
        (
            _("Rules"),
            {
                "fields": (
                    "unpaid_cancel_after_days",
                    "staff_refund_limit",
                    "staff_discount_limit_percent",
                    "review_first_order_above",
                    "abandoned_cart_after_minutes",
                    "low_stock_digest",
                )
            },
        ),
        (
            _("Abandoned carts"),
            {
                "fields": (
                    "cart_reminders_max",
                    "cart_first_reminder_after_hours",
                    "cart_next_reminder_after_hours",
                    "cart_incentive_enabled",
                    "cart_incentive_kind",
                    "cart_incentive_value",
                    "cart_incentive_valid_days",
                    "cart_alert_above",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        return not StoreSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


# --- discount codes ------------------------------------------------------------------------
# Codes are managed on the Owner's page (/catalog/discounts/); here they can be looked up and
# corrected. Uses are counted by the services only: ``times_used`` and the redemptions are
# read-only, so the admin never lets the count and the rows disagree.


class DiscountRedemptionInline(admin.TabularInline):
    model = DiscountRedemption
    fields = ("order", "email", "amount", "created_at", "released_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "kind",
        "value",
        "min_subtotal_amount",
        "valid_until",
        "times_used",
        "usage_limit",
        "is_active",
        "is_incentive",
    )
    list_filter = ("kind", "is_active", "is_incentive", "channels")
    search_fields = ("code", "description")
    readonly_fields = ("times_used", "is_incentive", "created_at", "updated_at")
    filter_horizontal = ("channels",)
    inlines = (DiscountRedemptionInline,)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        """A used code keeps its text: orders name it."""
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "code") if obj is not None and obj.times_used else fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        """A code that has been used stays: deactivate it instead."""
        if obj is not None and obj.times_used:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(DiscountRedemption)
class DiscountRedemptionAdmin(admin.ModelAdmin):
    """History: a redemption is written and released by the services only."""

    list_display = ("code", "order", "email", "amount", "created_at", "released_at")
    list_select_related = ("code", "order")
    list_filter = ("released_at",)
    search_fields = ("code__code", "email", "order__number")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Outgoing webhooks: their admin lives beside them.
from catalog.webhooks import admin as _webhook_admin  # noqa: E402, F401
