"""Filters of the invoice list; the state lives in the URL."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice, InvoiceKind

EMAIL_STATES = (
    ("sent", _("Sent")),
    ("queued", _("Queued")),
    ("failed", _("Failed")),
    ("none", _("Not e-mailed")),
)


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, order, customer or e-mail"), "autocomplete": "off"}
        ),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=InvoiceKind.choices, empty_label=_("All kinds"))
    issued_from = django_filters.DateFilter(
        label=_("Issued from"),
        field_name="issued_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    issued_to = django_filters.DateFilter(
        label=_("Issued to"),
        field_name="issued_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    email = django_filters.ChoiceFilter(
        label=_("E-mail"), choices=EMAIL_STATES, method="filter_email", empty_label=_("Any e-mail state")
    )

    class Meta:
        model = Invoice
        fields = ["q", "kind", "issued_from", "issued_to", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"filter-{name}")

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(order__number=value)
            | Q(order__customer_name__icontains=value)
            | Q(order__email__icontains=value)
            | Q(order__customer__company_name__icontains=value)
        )

    def filter_email(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "sent":
            return queryset.filter(emailed_at__isnull=False)
        if value == "failed":
            return queryset.filter(emailed_at__isnull=True).exclude(email_error="")
        if value == "queued":
            return queryset.filter(emailed_at__isnull=True, email_error="", email_queued_at__isnull=False)
        if value == "none":
            return queryset.filter(emailed_at__isnull=True, email_error="", email_queued_at__isnull=True)
        return queryset
