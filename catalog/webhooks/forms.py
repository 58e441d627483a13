"""The Owner's webhook forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.webhooks.models import DELIVERY_EVENT_CHOICES, DeliveryStatus, WebhookEvent


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where each event is POSTed as JSON (http or https)."),
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": "https://example.com/backroom-hooks"}),
    )
    description = forms.CharField(
        label=_("Description"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose at least one event.")},
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("The URL must start with http:// or https://."))
        return url


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *DeliveryStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    event = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("Any event")), *DELIVERY_EVENT_CHOICES],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
