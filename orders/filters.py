"""Filters of the order list; the same set narrows the page, its CSV export and the saved views.

Everything that looks into another table (lines, shipments) is an ``EXISTS`` subquery,
never a join: a join would repeat an order once per matching line, so counts and pages
would be wrong, and ``DISTINCT`` over 100,000 orders is slow.

The choices of channel, shipping method and pickup location come from the caller
(``orders.selectors.get_order_filter_choices``, one query for all three) rather than from
``ModelChoiceFilter``, which would cost a query per select on every page.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import DATE_BOUNDS
from orders.models import Customer, FulfilmentStatus, Order, OrderLine, OrderStatus, PaymentStatus
from shipping.models import Shipment

# The column keys of the list, as the URL writes them (``?o=-total``): (field, key).
# A whitelist: anything else in ``o`` is refused by the form and the default order stays.
SORT_FIELDS = (
    ("id", "number"),
    ("placed_at", "placed"),
    ("customer_name", "customer"),
    ("channel__name", "channel"),
    ("status", "status"),
    ("payment_status", "payment"),
    ("fulfilment_status", "fulfilment"),
    ("total_amount", "total"),
)
# A search of at least this many digits is also tried as a phone number.
PHONE_MIN_DIGITS = 7
SORT_KEYS = frozenset(key for _field, key in SORT_FIELDS)


@dataclass(frozen=True)
class FilterChoices:
    """(value, label) pairs for the select filters; ids as strings, as the URL carries them."""

    channels: list[tuple[str, str]] = field(default_factory=list)
    shipping_methods: list[tuple[str, str]] = field(default_factory=list)
    pickup_locations: list[tuple[str, str]] = field(default_factory=list)


def _looks_like_sku(value: str) -> bool:
    """One word with a digit or a separator ("MUG-RED", "tee_m", "4006381333931"): worth matching against SKUs."""
    return " " not in value and any(ch.isdigit() or ch in "-_./" for ch in value)


def search_order_ids(value: str) -> QuerySet:
    """The ids of the orders a search term finds, as one subquery: a UNION of index-backed parts.

    What is matched: the order number, the order's tracking token, the carrier's tracking
    number of a parcel, the marketplace reference (any case); the customer name and e-mail
    (containing the term, any case); the company name of the customer; a phone number
    typed in any format (by its last digits); a SKU of a line (any case, SKU-like terms only).

    One ``OR`` over these would need the order's customer, shipments and lines in the same
    ``WHERE`` and makes PostgreSQL read every order. Each part of the UNION instead reads
    only what its own index finds (``orders/migrations/0012_search_indexes.py``: trigram
    indexes for the "containing" matches, expression indexes for the "any case" ones),
    and the orders are then fetched by primary key.
    """
    on_order = (
        Q(number=value)
        | Q(tracking_code=value)
        | Q(external_reference__iexact=value)
        | Q(customer_name__icontains=value)
        | Q(email__icontains=value)
    )
    by_customer = Q(company_name__icontains=value)
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= PHONE_MIN_DIGITS and len(digits) >= len(value.replace(" ", "")) - 2:
        # Looks like a phone number (order numbers are shorter): match it as typed, and by
        # its last digits, so "030 1234567" finds "+49 30 1234567". ``iendswith`` (not
        # ``endswith``) so that both use the same upper-case trigram index; digits have no case.
        tail = digits[-PHONE_MIN_DIGITS:]
        on_order |= Q(phone__icontains=value) | Q(phone__iendswith=tail)
        by_customer |= Q(phone__icontains=value) | Q(phone__iendswith=tail)
    parts = [
        Order.objects.filter(on_order).order_by().values("pk"),
        Order.objects.filter(customer__in=Customer.objects.filter(by_customer).values("pk")).order_by().values("pk"),
        Shipment.objects.filter(tracking_number=value).order_by().values("order_id"),
    ]
    if _looks_like_sku(value):
        # Only then: a name search need not look at the order lines at all.
        parts.append(OrderLine.objects.filter(sku__iexact=value).order_by().values("order_id"))
    return parts[0].union(*parts[1:], all=True)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Number, name, e-mail, phone, SKU…"),
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=OrderStatus.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    payment_status = django_filters.MultipleChoiceFilter(
        label=_("Payment"), choices=PaymentStatus.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    fulfilment_status = django_filters.MultipleChoiceFilter(
        label=_("Fulfilment"), choices=FulfilmentStatus.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    channel = django_filters.MultipleChoiceFilter(
        label=_("Channel"), field_name="channel_id", choices=[], distinct=False, widget=forms.CheckboxSelectMultiple
    )
    shipping_method = django_filters.ChoiceFilter(
        label=_("Shipping method"), field_name="shipping_method_id", choices=[], empty_label=_("Any method")
    )
    pickup_location = django_filters.ChoiceFilter(
        label=_("Pickup at"), field_name="pickup_location_id", choices=[], empty_label=_("Any pickup location")
    )
    placed_from = django_filters.DateFilter(
        label=_("Placed from"),
        method="filter_placed_from",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_BOUNDS,
    )
    placed_to = django_filters.DateFilter(
        label=_("Placed until"),
        method="filter_placed_to",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=DATE_BOUNDS,
    )
    total_min = django_filters.NumberFilter(
        label=_("Total from"),
        field_name="total_amount",
        lookup_expr="gte",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    total_max = django_filters.NumberFilter(
        label=_("Total up to"),
        field_name="total_amount",
        lookup_expr="lte",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    # Reached from a customer's page (``?customer=<id>``); a select of every customer would not scale.
    customer = django_filters.ModelChoiceFilter(
        label=_("Customer"), queryset=Customer.objects.all(), widget=forms.HiddenInput
    )
    backordered = django_filters.BooleanFilter(
        label=_("Has backorder"), method="filter_backordered", widget=forms.CheckboxInput
    )
    needs_review = django_filters.BooleanFilter(label=_("Needs review"), widget=forms.CheckboxInput)
    o = django_filters.OrderingFilter(fields=SORT_FIELDS, label=_("Sort by"))

    # The filters a chip is shown for, in the order the chips appear.
    CHIP_FIELDS = (
        "q",
        "status",
        "payment_status",
        "fulfilment_status",
        "channel",
        "shipping_method",
        "pickup_location",
        "placed_from",
        "placed_to",
        "total_min",
        "total_max",
        "customer",
        "backordered",
        "needs_review",
    )

    def __init__(self, data=None, *args, choices: FilterChoices | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        choices = choices or FilterChoices()
        fields = self.form.fields
        fields["channel"].choices = choices.channels
        fields["shipping_method"].choices = [("", _("Any method")), *choices.shipping_methods]
        fields["pickup_location"].choices = [("", _("Any pickup location")), *choices.pickup_locations]
        for name, form_field in fields.items():
            widget = form_field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            widget.attrs.setdefault("id", f"filter-{name}")

    # BooleanFilter with a checkbox: an unticked box means "don't filter", not "False".
    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        for name in ("backordered", "needs_review"):
            if self.form.cleaned_data.get(name) is False:
                self.form.cleaned_data[name] = None
        return super().filter_queryset(queryset)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """One box for what a merchant has at hand: a number, a name, an e-mail, a phone, a SKU, a tracking code."""
        value = value.strip().lstrip("#")
        if not value:
            return queryset
        return queryset.filter(pk__in=search_order_ids(value))

    def filter_placed_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(placed_at__gte=_start_of(value)) if value else queryset

    def filter_placed_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        """Inclusive: "until 3 Nov" keeps the orders of 3 Nov, up to midnight in the store's time zone."""
        return queryset.filter(placed_at__lt=_start_of(value + timedelta(days=1))) if value else queryset

    def filter_backordered(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        waiting = OrderLine.objects.filter(order_id=OuterRef("pk"), quantity_backordered__gt=0)
        return queryset.filter(Exists(waiting))
