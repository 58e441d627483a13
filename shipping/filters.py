"""Filters of the shipment list: status, carrier, location, date and a search box."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from inventory.models import Location
from shipping.models import Shipment, ShipmentStatus


class ShipmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Order or tracking number"), "autocomplete": "off"}
        ),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ShipmentStatus.choices, empty_label=_("Any status"))
    carrier = django_filters.ChoiceFilter(label=_("Carrier"), choices=[], empty_label=_("Any carrier"))
    location = django_filters.ModelChoiceFilter(
        label=_("Ships from"), queryset=Location.objects.all(), empty_label=_("All locations")
    )
    created_from = django_filters.DateFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_to = django_filters.DateFilter(
        label=_("Created until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Shipment
        fields = ["q", "status", "carrier", "location", "created_from", "created_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        carriers = Shipment.objects.exclude(carrier="").order_by("carrier").values_list("carrier", flat=True).distinct()
        self.filters["carrier"].extra["choices"] = [(c, c) for c in carriers]
        self.form.fields["carrier"].choices = [("", _("Any carrier")), *[(c, c) for c in carriers]]
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order__number=value) | Q(tracking_number__iexact=value.replace(" ", "")))
