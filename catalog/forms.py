"""The back-office's catalogue forms (discount codes); the storefront's are in ``forms_shop``."""

import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from catalog.models import Channel, DiscountCode, DiscountKind, normalise_code

CODE_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# The days a date filter or report range may name. The pages add a day to the end and make local
# midnights aware, which Python cannot do at its calendar's edges (9999-12-31 + 1 day, or
# 0001-01-01 00:00 in Berlin, which is still year 0 in UTC): an OverflowError, not a message.
DATE_BOUNDS = [
    MinValueValidator(datetime.date(1900, 1, 1), message=_("Enter a date from 1 January 1900 on.")),
    MaxValueValidator(datetime.date(9998, 12, 31), message=_("Enter a date before the year 9999.")),
]
# The largest id a database row can have (64-bit); SQLite cannot even compare with a larger number.
MAX_ID = 2**63 - 1


def parse_row_id(value) -> int | None:
    """A row id typed or posted as text, or None when it cannot be one.

    ASCII digits only ("²".isdigit() is true and int() refuses it) and at most ``MAX_ID``.
    """
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


class ChannelsField(forms.ModelMultipleChoiceField):
    """The channels' checkboxes; a value that cannot be an id is refused here, before the query.

    Django's own check asks the database with ``pk IN (…)``, and SQLite raises ``OverflowError``
    on a number above 64 bits instead of finding nothing.
    """

    def _check_values(self, value):
        for pk in value:
            if parse_row_id(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class DiscountCodeForm(forms.ModelForm):
    """Create or edit a code. Once a code has been used its text stays as it is: orders name it."""

    class Meta:
        model = DiscountCode
        fields = [
            "code",
            "description",
            "kind",
            "value",
            "min_subtotal_amount",
            "valid_from",
            "valid_until",
            "usage_limit",
            "per_customer_limit",
            "channels",
            "is_active",
        ]
        widgets = {
            "code": forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
            "kind": forms.RadioSelect,
            "value": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "min_subtotal_amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "usage_limit": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
            "per_customer_limit": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
            "channels": forms.CheckboxSelectMultiple,
        }
        field_classes = {"channels": ChannelsField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.order_by("name")
        self.fields["min_subtotal_amount"].required = False
        self.fields["code"].error_messages["required"] = _("Enter a code.")
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-control")
        if self.instance.pk and self.instance.times_used:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Used %(count)s times: orders name it, so it cannot be renamed.") % {
                "count": self.instance.times_used
            }

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data.get("code", ""))
        if not code:
            raise forms.ValidationError(_("Enter a code."))
        if len(code) < 3:
            raise forms.ValidationError(_("A code needs at least 3 characters."))
        if set(code) - CODE_CHARACTERS:
            raise forms.ValidationError(_("Use letters A–Z, digits and dashes only."))
        taken = DiscountCode.objects.filter(code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("The code %(code)s exists already.") % {"code": code})
        return code

    def clean_min_subtotal_amount(self) -> Decimal:
        value = self.cleaned_data.get("min_subtotal_amount")
        if value is None:
            return Decimal("0.00")
        if value < 0:
            raise forms.ValidationError(_("The minimum cannot be negative."))
        return value

    def clean_value(self) -> Decimal:
        value = self.cleaned_data.get("value")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The value must be above zero."))
        return value

    def clean(self):
        cleaned = super().clean()
        value, kind = cleaned.get("value"), cleaned.get("kind")
        if value is not None and kind == DiscountKind.PERCENT and value > 100:
            self.add_error("value", _("A percentage can be at most 100."))
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("The end must come after the start."))
        for name in ("usage_limit", "per_customer_limit"):
            if cleaned.get(name) is not None and cleaned[name] < 1:
                self.add_error(name, _("At least 1, or leave it empty for no limit."))
        limit = cleaned.get("usage_limit")
        if self.instance.pk and limit is not None and limit < self.instance.times_used:
            self.add_error(
                "usage_limit",
                _("It has been used %(count)s times already; the limit cannot be lower.")
                % {"count": self.instance.times_used},
            )
        if self.instance.is_incentive and limit != 1:
            self.add_error("usage_limit", _("A cart incentive is single-use: its limit stays 1."))
        return cleaned
