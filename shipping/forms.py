"""Forms of the shipping pages: they validate the input; the services decide what is allowed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Location
from shipping.models import CARRIER_STATUSES, ReturnCondition, ReturnReason, ShipmentStatus


class _Styled:
    def _style(self) -> None:
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class CreateShipmentForm(_Styled, forms.Form):
    """The location and one quantity field per order line (``line_<id>``), at most what is left."""

    location = forms.ModelChoiceField(label=_("Ship from"), queryset=Location.objects.filter(is_active=True))

    def __init__(self, *args, rows, default_location=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        if default_location is not None:
            self.fields["location"].initial = default_location.pk
        for row in rows:
            self.fields[f"line_{row.line.pk}"] = forms.IntegerField(
                label=row.line.sku,
                min_value=0,
                max_value=row.left,
                initial=row.on_shelf,
                required=False,
                disabled=row.left == 0,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm num", "inputmode": "numeric"}),
            )
        self._style()

    def bound_rows(self):
        return [(row, self[f"line_{row.line.pk}"]) for row in self.rows]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"line_{row.line.pk}") for row in self.rows):
            raise forms.ValidationError(_("Choose at least one item to ship."))
        return cleaned

    def lines(self):
        return [
            (row.line, self.cleaned_data[f"line_{row.line.pk}"])
            for row in self.rows
            if self.cleaned_data.get(f"line_{row.line.pk}")
        ]


class ShipForm(_Styled, forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=60, required=False)
    tracking_number = forms.CharField(
        label=_("Carrier tracking number"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TrackingEventForm(_Styled, forms.Form):
    status = forms.ChoiceField(label=_("Status"))
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, shipment, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [shipment.status, *shipment.allowed_transitions]
        self.fields["status"].choices = [
            (value, label) for value, label in ShipmentStatus.choices if value in CARRIER_STATUSES and value in allowed
        ]
        self.fields["occurred_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self._style()


class PickedUpForm(_Styled, forms.Form):
    collected_by = forms.CharField(
        label=_("Collected by"), max_length=200, help_text=_("The name on the ID shown at the counter.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TrackingImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: tracking_number, status, occurred_at (ISO 8601); optional external_id, place, description."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            self._text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        return upload

    def text(self) -> str:
        return self._text


class CreateReturnForm(_Styled, forms.Form):
    """The reason, and per returnable line a quantity (``qty_<id>``) and a condition (``cond_<id>``)."""

    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *ReturnReason.choices])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows  # (order_line, returnable)
        for line, left in rows:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=line.sku, min_value=0, max_value=left, initial=0, required=False
            )
            self.fields[f"cond_{line.pk}"] = forms.ChoiceField(
                label=_("Condition"), choices=ReturnCondition.choices, initial=ReturnCondition.SELLABLE
            )
        self._style()

    def bound_rows(self):
        return [(line, left, self[f"qty_{line.pk}"], self[f"cond_{line.pk}"]) for line, left in self.rows]

    def lines(self):
        return [
            (line, self.cleaned_data[f"qty_{line.pk}"], self.cleaned_data[f"cond_{line.pk}"])
            for line, _left in self.rows
            if self.cleaned_data.get(f"qty_{line.pk}")
        ]


class ReceiveReturnForm(_Styled, forms.Form):
    location = forms.ModelChoiceField(
        label=_("Sellable items go to"),
        queryset=Location.objects.filter(is_active=True).exclude(kind="damaged"),
    )
    damaged_location = forms.ModelChoiceField(
        label=_("Damaged items go to"),
        queryset=Location.objects.filter(is_active=True, kind="damaged"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
