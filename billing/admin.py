"""Payments and invoices in the Django admin.

Money records drive the order's payment status and the accounting export, so they are
written by ``billing.services`` only: a payment's amount, kind and status are read-only
here (only its reference and reason can be corrected), issued invoices and credit notes
never change, and the gapless number counters are never edited by hand.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice, InvoiceBulkJob, InvoiceSequence, Payment
from catalog.admin import format_money, order_link


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "order_display",
        "kind",
        "method",
        "status",
        "amount_display",
        "reference",
        "recorded_by",
    )
    list_filter = ("kind", "method", "status", "provider", "created_at")
    list_select_related = ("order", "recorded_by")
    search_fields = ("order__number", "reference", "provider_payment_id", "order__customer_name", "order__email")
    date_hierarchy = "created_at"
    fields = (
        "order",
        "kind",
        "method",
        "status",
        "amount_display",
        "reference",
        "reason",
        "provider",
        "provider_payment_id",
        "recorded_by",
        "created_at",
    )
    readonly_fields = (
        "order",
        "kind",
        "method",
        "status",
        "amount_display",
        "provider",
        "provider_payment_id",
        "recorded_by",
        "created_at",
    )

    @admin.display(description=_("order"), ordering="order__number")
    def order_display(self, obj: Payment) -> str:
        return order_link(obj.order)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # A payment also moves the order's payment status: record it through billing services.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CreditNoteInline(admin.TabularInline):
    model = Invoice
    fk_name = "corrects"
    verbose_name = _("credit note")
    verbose_name_plural = _("credit notes")
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("number", "issued_at", "status", "total_display")
    readonly_fields = fields

    @admin.display(description=_("total"))
    def total_display(self, obj: Invoice) -> str:
        return format_money(obj.total_amount, obj.currency)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Issued invoices and credit notes: documents of record, viewed here, never changed."""

    list_display = (
        "number",
        "kind",
        "order_display",
        "issued_at",
        "status",
        "net_display",
        "tax_display",
        "total_display",
        "due_date",
        "emailed_at",
        "pdf_link",
    )
    list_filter = ("kind", "status", "series", "year", "issued_at")
    list_select_related = ("order",)
    search_fields = ("number", "order__number", "order__customer_name", "order__email")
    date_hierarchy = "issued_at"
    readonly_fields = ("order_display", "corrects", "pdf_link", "net_display", "tax_display", "total_display")
    fields = (
        "number",
        "kind",
        "order_display",
        "corrects",
        "series",
        "year",
        "sequence_number",
        "status",
        "currency",
        "net_display",
        "tax_display",
        "total_display",
        "issued_at",
        "due_date",
        "pdf_link",
        "emailed_at",
        "email_error",
        "snapshot",
    )
    inlines = (CreditNoteInline,)

    @admin.display(description=_("order"), ordering="order__number")
    def order_display(self, obj: Invoice) -> str:
        return order_link(obj.order)

    @admin.display(description=_("net"), ordering="net_amount")
    def net_display(self, obj: Invoice) -> str:
        return format_money(obj.net_amount, obj.currency)

    @admin.display(description=_("VAT"), ordering="tax_amount")
    def tax_display(self, obj: Invoice) -> str:
        return format_money(obj.tax_amount, obj.currency)

    @admin.display(description=_("total"), ordering="total_amount")
    def total_display(self, obj: Invoice) -> str:
        return format_money(obj.total_amount, obj.currency)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Invoice) -> str | None:
        if not obj.pdf:
            return None
        return format_html('<a href="{}">{}</a>', obj.pdf.url, _("Download"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).select_related("order", "corrects")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # Numbers are gapless: an invoice is issued through billing services only.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(admin.ModelAdmin):
    """The per-series counters. A new series may start from a chosen number; a used one never moves."""

    list_display = ("series", "year", "last_number")
    list_filter = ("series", "year")
    search_fields = ("series",)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(InvoiceBulkJob)
class InvoiceBulkJobAdmin(admin.ModelAdmin):
    """Background ZIP and re-send jobs: a record of who asked for what; written by the task only."""

    list_display = ("pk", "kind", "status", "done", "total", "created_by", "created_at", "finished_at")
    list_filter = ("kind", "status", "created_at")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in InvoiceBulkJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
