"""Forms of the billing pages: field checks only; the services decide what is allowed."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import PaymentMethod
from catalog.forms import DATE_BOUNDS


class _BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on the fields that have errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class PaymentForm(_BootstrapForm):
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.CARD)
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    cash_tendered = forms.DecimalField(
        label=_("Cash tendered"),
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        required=False,
        help_text=_("Cash only: what the customer handed over; the change is worked out."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Terminal slip, transfer reference or cheque number."),
    )

    def clean(self):
        data = super().clean()
        if data.get("cash_tendered") and data.get("method") != PaymentMethod.CASH:
            self.add_error("cash_tendered", _("Cash tendered only applies to cash payments."))
        return data


class RefundForm(_BootstrapForm):
    amount = forms.DecimalField(
        label=_("Amount to refund"),
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    method = forms.ChoiceField(
        label=_("Refund by"),
        choices=[("", _("Same as the payment")), *PaymentMethod.choices],
        required=False,
    )


class ExportForm(_BootstrapForm):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), validators=DATE_BOUNDS)
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}), validators=DATE_BOUNDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date_from"].initial = today.replace(day=1)
        self.fields["date_to"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end date is before the start date."))
            elif end - start > datetime.timedelta(days=366):
                self.add_error("date_to", _("Export at most one year at a time."))
        return data
