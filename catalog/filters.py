"""Filters of the back-office's catalogue lists (discount codes)."""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Channel, DiscountCode, DiscountKind

DISCOUNT_STATES = [
    ("usable", _("Usable now")),
    ("scheduled", _("Not yet valid")),
    ("expired", _("Expired")),
    ("used_up", _("Used up")),
    ("inactive", _("Deactivated")),
]


class DiscountCodeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Code or description"), "autocomplete": "off"}
        ),
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=DISCOUNT_STATES, method="filter_state", empty_label=_("Any state")
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DiscountKind.choices, empty_label=_("Any kind"))
    channel = django_filters.ModelChoiceFilter(
        label=_("Channel"), queryset=Channel.objects.all(), method="filter_channel", empty_label=_("Any channel")
    )
    incentive = django_filters.BooleanFilter(
        label=_("Cart incentives only"),
        field_name="is_incentive",
        widget=forms.CheckboxInput,
        method="filter_incentive",
    )
    o = django_filters.OrderingFilter(
        fields=(("code", "code"), ("created_at", "created"), ("times_used", "used"), ("valid_until", "until")),
        label=_("Sort by"),
    )

    class Meta:
        model = DiscountCode
        fields = ["q", "state", "kind", "channel", "incentive"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(description__icontains=value))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        used_up = Q(usage_limit__isnull=False, times_used__gte=F("usage_limit"))
        if value == "inactive":
            return queryset.filter(is_active=False)
        if value == "scheduled":
            return queryset.filter(is_active=True, valid_from__gt=now)
        if value == "expired":
            return queryset.filter(is_active=True, valid_until__lte=now)
        if value == "used_up":
            return queryset.filter(used_up, is_active=True)
        if value == "usable":
            return queryset.filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=now),
                Q(valid_until__isnull=True) | Q(valid_until__gt=now),
                is_active=True,
            ).exclude(used_up)
        return queryset

    def filter_channel(self, queryset: QuerySet, name: str, value: Channel) -> QuerySet:
        """Codes usable on the channel: those naming it, and those for every channel."""
        if value is None:
            return queryset
        links = DiscountCode.channels.through.objects
        return queryset.filter(
            Q(pk__in=links.filter(channel=value).values("discountcode_id"))
            | ~Exists(links.filter(discountcode_id=OuterRef("pk")))
        )

    def filter_incentive(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(is_incentive=True) if value else queryset
