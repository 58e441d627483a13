"""The storefront's forms: add to cart, change a cart line, check out.

They check what the customer typed and say what is wrong next to the field; the services
decide what the business allows (stock, discount codes) and the views put their refusals
next to the field that caused them.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from orders.models import PaymentChoice  # the values the order keeps (re-exported for the views)

MAX_CART_QUANTITY = 999


class AddToCartForm(forms.Form):
    variant = forms.TypedChoiceField(label=_("Option"), coerce=int, widget=forms.RadioSelect)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_CART_QUANTITY,
        widget=forms.NumberInput(attrs={"class": "form-control shop-qty", "inputmode": "numeric"}),
    )

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {o.variant.pk: o for o in offers}
        self.fields["variant"].choices = [(o.variant.pk, o.variant.name or o.variant.sku) for o in offers]
        if len(offers) == 1:
            self.fields["variant"].widget = forms.HiddenInput()

    def clean_variant(self):
        variant_id = self.cleaned_data["variant"]
        offer = self.offers.get(variant_id)
        if offer is None or not offer.can_buy:
            raise forms.ValidationError(_("This option is out of stock."))
        return variant_id


class CartLineForm(forms.Form):
    variant = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=MAX_CART_QUANTITY,
        help_text=_("0 removes the item."),
        widget=forms.NumberInput(attrs={"class": "form-control shop-qty", "inputmode": "numeric"}),
    )


def _text(label, *, max_length, required=True, autocomplete="", **attrs):
    widget_attrs = {"class": "form-control"} | ({"autocomplete": autocomplete} if autocomplete else {}) | attrs
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=widget_attrs)
    )


class CheckoutForm(forms.Form):
    """The one checkout page. ``options`` are the shipping service's options for this cart."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send the order confirmation and the tracking link here."),
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    reminder_consent = forms.BooleanField(
        label=_("E-mail me a reminder if I leave my cart before ordering"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    name = _text(_("Full name"), max_length=200, autocomplete="name")
    phone = _text(_("Phone (optional)"), max_length=40, required=False, autocomplete="tel")
    delivery = forms.ChoiceField(label=_("Delivery"), widget=forms.RadioSelect)
    line1 = _text(_("Street and number"), max_length=200, required=False, autocomplete="address-line1")
    line2 = _text(_("Address line 2 (optional)"), max_length=200, required=False, autocomplete="address-line2")
    postal_code = _text(_("Postal code"), max_length=20, required=False, autocomplete="postal-code")
    city = _text(_("City"), max_length=100, required=False, autocomplete="address-level2")
    country = _text(_("Country (two letters)"), max_length=2, required=False, autocomplete="country")
    billing_same = forms.BooleanField(
        label=_("Bill to the same address"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    billing_name = _text(_("Billing name"), max_length=200, required=False, autocomplete="billing name")
    billing_line1 = _text(_("Street and number"), max_length=200, required=False, autocomplete="billing address-line1")
    billing_postal_code = _text(_("Postal code"), max_length=20, required=False, autocomplete="billing postal-code")
    billing_city = _text(_("City"), max_length=100, required=False, autocomplete="billing address-level2")
    billing_country = _text(_("Country (two letters)"), max_length=2, required=False, autocomplete="billing country")
    discount_code = _text(_("Discount code"), max_length=40, required=False, autocomplete="off")
    payment = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    ADDRESS_NEEDED = _("Needed to deliver the order.")

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {self.option_key(o): o for o in options}
        self.fields["delivery"].choices = [(key, key) for key in self.options]
        payments = []
        if settings.PAYMENT_WEBHOOK_SECRET:
            payments.append((PaymentChoice.ONLINE, _("Pay online now")))
        if any(o.location is not None for o in options):
            payments.append((PaymentChoice.AT_PICKUP, _("Pay at pickup")))
        payments.append((PaymentChoice.BANK_TRANSFER, _("Bank transfer")))
        self.fields["payment"].choices = payments
        self.fields["country"].initial = "DE"
        self.fields["billing_country"].initial = "DE"

    @staticmethod
    def option_key(option) -> str:
        if option.location is not None:
            return f"pickup-{option.method.pk}-{option.location.pk}"
        return f"ship-{option.method.pk}"

    def option(self):
        return self.options.get(self.cleaned_data.get("delivery", ""))

    def clean_country(self):
        return (self.cleaned_data.get("country") or "DE").upper()

    def clean_billing_country(self):
        return (self.cleaned_data.get("billing_country") or "DE").upper()

    def clean_discount_code(self):
        return (self.cleaned_data.get("discount_code") or "").strip()

    def clean(self):
        data = super().clean()
        option = self.option()
        if option is not None and option.location is None:
            for field in ("line1", "postal_code", "city"):
                if not (data.get(field) or "").strip():
                    self.add_error(field, self.ADDRESS_NEEDED)
        if option is not None and option.location is None and data.get("payment") == PaymentChoice.AT_PICKUP:
            self.add_error("payment", _("Paying at pickup needs pickup at a store."))
        if not data.get("billing_same"):
            for field in ("billing_name", "billing_line1", "billing_postal_code", "billing_city"):
                if not (data.get(field) or "").strip():
                    self.add_error(field, _("Needed for the invoice, or tick “Bill to the same address”."))
        return data

    def shipping_address(self) -> dict:
        d = self.cleaned_data
        if self.option() is None or self.option().location is not None:
            return {}
        return {
            "name": d["name"],
            "company": "",
            "line1": d["line1"].strip(),
            "line2": (d.get("line2") or "").strip(),
            "postal_code": d["postal_code"].strip(),
            "city": d["city"].strip(),
            "country": d["country"],
            "phone": d.get("phone") or "",
        }

    def billing_address(self) -> dict:
        d = self.cleaned_data
        if d.get("billing_same"):
            return self.shipping_address()
        return {
            "name": d["billing_name"].strip(),
            "company": "",
            "line1": d["billing_line1"].strip(),
            "line2": "",
            "postal_code": d["billing_postal_code"].strip(),
            "city": d["billing_city"].strip(),
            "country": d["billing_country"],
            "phone": d.get("phone") or "",
        }
