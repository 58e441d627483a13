"""Customers and orders in the Django admin.

An order's lifecycle moves only through ``orders.services`` (the one transition table, a
timeline event per change, stock released on cancel), so the admin shows ``status``, the
derived payment and fulfilment statuses, the number, the tracking code and the totals
read-only, and offers the transitions as actions that call the services. The timeline and
the line snapshots are never edited here.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.models import Invoice, Payment
from catalog.admin import format_money, order_link
from orders.models import Address, BlockedContact, Customer, Order, OrderEvent, OrderLine, SavedOrderView
from shipping.models import Shipment

admin.site.site_header = _("Backroom administration")
admin.site.site_title = _("Backroom administration")
admin.site.index_title = _("Back-office data")
# The lists are wide (money, three statuses, dates): give them the whole width.
admin.site.enable_nav_sidebar = False


class ReadOnlyInlineMixin:
    """Rows shown for reference on their parent's page, written by services only."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# ------------------------------------------------------------------------------
# Customers
# ------------------------------------------------------------------------------
class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = (
        ("name", "company"),
        ("line1", "line2"),
        ("postal_code", "city", "country"),
        "phone",
        ("is_default_shipping", "is_default_billing"),
    )


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "phone", "company_name", "group", "order_count", "created_at")
    list_filter = ("group", "accepts_marketing")
    list_select_related = ("group",)
    search_fields = ("email", "first_name", "last_name", "phone", "company_name", "vat_id")
    date_hierarchy = "created_at"
    inlines = (AddressInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).annotate(order_count=Count("orders", distinct=True))

    @admin.display(description=_("orders"), ordering="order_count")
    def order_count(self, obj: Customer) -> int:
        return obj.order_count


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "line1", "postal_code", "city", "country", "is_default_shipping")
    list_filter = ("country", "is_default_shipping", "is_default_billing")
    list_select_related = ("customer",)
    search_fields = ("name", "company", "line1", "postal_code", "city", "customer__email", "customer__last_name")
    autocomplete_fields = ("customer",)


# ------------------------------------------------------------------------------
# Orders
# ------------------------------------------------------------------------------
class OrderLineInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The lines as they were sold: a snapshot, never edited."""

    model = OrderLine
    fields = (
        "sku",
        "product_name",
        "variant_name",
        "quantity",
        "quantity_backordered",
        "unit_price",
        "tax_rate",
        "line_total",
    )

    @admin.display(description=_("unit price (net)"))
    def unit_price(self, obj: OrderLine) -> str:
        return format_money(obj.unit_price_amount, obj.order.currency)

    @admin.display(description=_("line total (net)"))
    def line_total(self, obj: OrderLine) -> str:
        return format_money(obj.line_total_amount, obj.order.currency)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("order")


class PaymentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Payment
    fields = ("created_at", "kind", "method", "status", "amount_display", "reference", "recorded_by")

    @admin.display(description=_("amount"))
    def amount_display(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("recorded_by")


class InvoiceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Invoice
    fields = ("number", "kind", "status", "issued_at", "total_display", "emailed_at")

    @admin.display(description=_("total"))
    def total_display(self, obj: Invoice) -> str:
        return format_money(obj.total_amount, obj.currency)


class ShipmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Shipment
    fields = ("created_at", "status", "method", "location", "carrier", "tracking_number", "shipped_at", "delivered_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return super().get_queryset(request).select_related("method", "location")


class OrderEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The timeline, newest first, with who and when."""

    model = OrderEvent
    fields = ("created_at", "kind", "old_value", "new_value", "message", "by")
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("by")


class CancelOrdersForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept on each order's timeline."),
    )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "placed_at",
        "customer_display",
        "channel",
        "status",
        "payment_column",
        "fulfilment_column",
        "line_count",
        "total_display",
        "needs_review",
    )
    list_display_links = ("__str__",)
    list_filter = ("status", "payment_status", "fulfilment_status", "channel", "needs_review", "placed_at")
    list_select_related = ("channel", "customer")
    search_fields = (
        "number",
        "tracking_code",
        "email",
        "customer_name",
        "phone",
        "external_reference",
        "lines__sku",
        "customer__first_name",
        "customer__last_name",
        "customer__company_name",
    )
    date_hierarchy = "placed_at"
    autocomplete_fields = ("customer",)
    readonly_fields = (
        "number",
        "tracking_code",
        "status",
        "payment_status",
        "fulfilment_status",
        "currency",
        "subtotal_display",
        "discount_display",
        "shipping_display",
        "shipping_tax_rate",
        "tax_display",
        "total_display",
        "review_reasons",
        "created_by",
        "placed_at",
        "completed_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": (("number", "status"), ("payment_status", "fulfilment_status"), "tracking_code")}),
        (_("Source"), {"fields": ("channel", "external_reference", "created_by")}),
        (_("Customer"), {"fields": ("customer", "customer_name", "email", "phone")}),
        (_("Delivery"), {"fields": ("shipping_method", "pickup_location")}),
        (
            _("Totals"),
            {
                "fields": (
                    "currency",
                    "subtotal_display",
                    "discount_display",
                    "shipping_display",
                    "shipping_tax_rate",
                    "tax_display",
                    "total_display",
                )
            },
        ),
        (_("Review"), {"fields": ("needs_review", "review_reasons", "notes")}),
        (_("Addresses"), {"fields": ("billing_address", "shipping_address"), "classes": ["collapse"]}),
        (
            _("Dates"),
            {
                "fields": ("placed_at", "completed_at", "cancelled_at", "created_at", "updated_at"),
                "classes": ["collapse"],
            },
        ),
    )
    inlines = (OrderLineInline, PaymentInline, InvoiceInline, ShipmentInline, OrderEventInline)
    actions = ("cancel_orders", "start_processing_orders", "complete_orders")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).annotate(line_count=Count("lines", distinct=True))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Orders are history (numbers, invoices, stock movements refer to them): cancel, never delete.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        # Prices, stock locations and numbering depend on the channel: it is chosen once.
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "channel")

    # -- columns -------------------------------------------------------------------
    @admin.display(description=_("payment"), ordering="payment_status")
    def payment_column(self, obj: Order) -> str:
        return obj.get_payment_status_display()

    @admin.display(description=_("fulfilment"), ordering="fulfilment_status")
    def fulfilment_column(self, obj: Order) -> str:
        return obj.get_fulfilment_status_display()

    @admin.display(description=_("customer"), ordering="customer_name")
    def customer_display(self, obj: Order) -> str | None:
        return obj.customer_name or (str(obj.customer) if obj.customer else "") or obj.email or None

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, obj: Order) -> int:
        return getattr(obj, "line_count", 0)

    @admin.display(description=_("subtotal (net)"))
    def subtotal_display(self, obj: Order) -> str:
        return format_money(obj.subtotal_amount, obj.currency)

    @admin.display(description=_("discount (net)"))
    def discount_display(self, obj: Order) -> str:
        return format_money(obj.discount_amount, obj.currency)

    @admin.display(description=_("shipping (net)"))
    def shipping_display(self, obj: Order) -> str:
        return format_money(obj.shipping_amount, obj.currency)

    @admin.display(description=_("VAT"))
    def tax_display(self, obj: Order) -> str:
        return format_money(obj.tax_amount, obj.currency)

    @admin.display(description=_("total"), ordering="total_amount")
    def total_display(self, obj: Order) -> str:
        return format_money(obj.total_amount, obj.currency)

    # -- actions -------------------------------------------------------------------
    @admin.action(permissions=["change"], description=_("Cancel selected orders"))
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Ask for a reason on a confirmation page, then cancel each order through the service."""
        form = CancelOrdersForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_bound and form.is_valid():
            from orders.services import cancel_order

            reason = form.cleaned_data["reason"]
            self._apply_to_each(
                request,
                queryset,
                lambda order: cancel_order(order=order, by=request.user, reason=reason),
                success=lambda n, numbers: (
                    ngettext("%(count)d order cancelled: %(numbers)s.", "%(count)d orders cancelled: %(numbers)s.", n)
                    % {"count": n, "numbers": numbers}
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel orders?"),
            "subtitle": None,
            "opts": self.model._meta,
            "orders": [(order, order.can_become(Order.Status.CANCELLED)) for order in queryset.order_by("pk")],
            "form": form,
            "action_name": "cancel_orders",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/orders/order/cancel_selected_confirmation.html", context)

    @admin.action(permissions=["change"], description=_("Start processing selected orders"))
    def start_processing_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        from orders.services import start_processing

        self._apply_to_each(
            request,
            queryset,
            lambda order: start_processing(order=order, by=request.user),
            success=lambda n, numbers: (
                ngettext(
                    "%(count)d order in processing: %(numbers)s.", "%(count)d orders in processing: %(numbers)s.", n
                )
                % {"count": n, "numbers": numbers}
            ),
        )

    @admin.action(permissions=["change"], description=_("Complete selected orders"))
    def complete_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        from orders.services import complete_order

        self._apply_to_each(
            request,
            queryset,
            lambda order: complete_order(order=order, by=request.user),
            success=lambda n, numbers: (
                ngettext("%(count)d order completed: %(numbers)s.", "%(count)d orders completed: %(numbers)s.", n)
                % {"count": n, "numbers": numbers}
            ),
        )

    def _apply_to_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Order],
        service: Callable[[Order], Order],
        *,
        success: Callable[[int, str], str],
    ) -> None:
        """Run a service per order; a refusal is reported for its order and leaves the others going."""
        from orders.exceptions import OrderError

        done: list[str] = []
        for order in queryset.order_by("pk"):
            try:
                order = service(order)
            except OrderError as exc:
                # The services' messages usually name the order already; say which one if not.
                text = exc.message if str(order) in exc.message else f"{order}: {exc.message}"
                self.message_user(request, text, level=messages.WARNING)
            else:
                done.append(str(order))
        if done:
            self.message_user(request, success(len(done), ", ".join(done)), level=messages.SUCCESS)


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    """Sold lines across orders (find who bought a SKU); snapshots, so read-only."""

    list_display = ("order_display", "sku", "product_name", "variant_name", "quantity", "unit_price", "line_total")
    list_select_related = ("order",)
    list_filter = ("order__status", "order__channel")
    search_fields = ("sku", "product_name", "order__number")

    @admin.display(description=_("order"), ordering="order__number")
    def order_display(self, obj: OrderLine) -> str:
        return order_link(obj.order)

    @admin.display(description=_("unit price (net)"), ordering="unit_price_amount")
    def unit_price(self, obj: OrderLine) -> str:
        return format_money(obj.unit_price_amount, obj.order.currency)

    @admin.display(description=_("line total (net)"), ordering="line_total_amount")
    def line_total(self, obj: OrderLine) -> str:
        return format_money(obj.line_total_amount, obj.order.currency)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    """The timeline across orders; append-only, written by services."""

    list_display = ("created_at", "order_display", "kind", "old_value", "new_value", "message", "by")
    list_filter = ("kind",)
    list_select_related = ("order", "by")
    search_fields = ("order__number", "message")
    date_hierarchy = "created_at"

    @admin.display(description=_("order"), ordering="order__number")
    def order_display(self, obj: OrderEvent) -> str:
        return order_link(obj.order)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SavedOrderView)
class SavedOrderViewAdmin(admin.ModelAdmin):
    """Each user's order-list tabs; users manage their own from the list page."""

    list_display = ["name", "user", "query_string", "position"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "query_string"]
    raw_id_fields = ["user"]


@admin.register(BlockedContact)
class BlockedContactAdmin(admin.ModelAdmin):
    """E-mails and addresses whose orders are held for review at placement."""

    list_display = ("value", "kind", "reason", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "reason")


# The storefront carts: read-only, beside the cart services.
from orders import admin_carts as _admin_carts  # noqa: E402, F401

# The CSV order import jobs: their admin lives beside the import.
from orders import admin_imports as _admin_imports  # noqa: E402, F401

# The API's Idempotency-Key records: their admin lives beside the API.
from orders.api import admin as _api_admin  # noqa: E402, F401
