"""Filters of the stock overview; the same set narrows the page and its CSV export."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Category
from inventory.models import Location, StockLevel
from inventory.selectors import list_low_stock
from orders.models import OrderLine, OrderStatus

# The column keys of the overview, as the URL writes them (``?o=-available``).
SORT_FIELDS = (
    ("variant__sku", "sku"),
    ("variant__product__name", "product"),
    ("location__name", "location"),
    ("on_hand", "on_hand"),
    ("reserved", "reserved"),
    ("available_qty", "available"),
    ("threshold", "threshold"),
)


class StockLevelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("SKU, barcode or product"), "autocomplete": "off"}
        ),
    )
    location = django_filters.ModelChoiceFilter(
        label=_("Location"), queryset=Location.objects.all(), empty_label=_("All locations")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        field_name="variant__product__category",
        queryset=Category.objects.all(),
        empty_label=_("All categories"),
    )
    low = django_filters.BooleanFilter(label=_("Low stock only"), method="filter_low", widget=forms.CheckboxInput)
    backordered = django_filters.BooleanFilter(
        label=_("Backordered"), method="filter_backordered", widget=forms.CheckboxInput
    )
    o = django_filters.OrderingFilter(fields=SORT_FIELDS, label=_("Sort by"))

    class Meta:
        model = StockLevel
        fields = ["q", "location", "category", "low", "backordered"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")
            field.widget.attrs.setdefault("id", f"filter-{name}")

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(variant__sku__icontains=value)
            | Q(variant__barcode=value)
            | Q(variant__product__name__icontains=value)
            | Q(variant__name__icontains=value)
        )

    def filter_low(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return list_low_stock(queryset=queryset) if value else queryset

    def filter_backordered(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Variants that open orders are still waiting for (some of a line could not be reserved)."""
        if not value:
            return queryset
        waiting = OrderLine.objects.filter(
            variant_id=OuterRef("variant_id"),
            quantity_backordered__gt=0,
            order__status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING],
        )
        return queryset.filter(Exists(waiting))
