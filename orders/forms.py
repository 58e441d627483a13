"""Forms of the order pages: notes, cancelling, editing a placed order, taking a new one.

Forms check what a person typed; the services decide what the business allows. The one
rule checked in both is the staff discount limit, because the form must say it next to the
field and the view must hold even when the form is bypassed.
"""

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import Channel, StoreSettings
from config.roles import OWNER
from inventory.models import Location
from orders.models import PaymentChoice
from orders.services import MAX_LINE_QUANTITY
from shipping.models import ShippingMethod


def discount_limit_for(user) -> Decimal | None:
    """The highest order discount (%) this user may give; None: no limit (the Owner)."""
    if user.is_superuser or user.groups.filter(name=OWNER).exists():
        return None
    return StoreSettings.load().staff_discount_limit_percent


class NoteForm(forms.Form):
    message = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Shown on the timeline; the customer is told the order was cancelled."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class AddressForm(forms.Form):
    """A shipping address as the order stores it (a snapshot, not a link to the customer's book)."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    line1 = forms.CharField(label=_("Address line 1"), max_length=200, required=False)
    line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, initial="DE", required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    ADDRESS_FIELDS = ("name", "company", "line1", "line2", "postal_code", "city", "country", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.ADDRESS_FIELDS:
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"

    def address(self) -> dict[str, str]:
        data = {name: (self.cleaned_data.get(name) or "").strip() for name in self.ADDRESS_FIELDS}
        data["country"] = (data["country"] or "DE").upper()
        return data if data["line1"] else {}

    def check_address(self) -> bool:
        """A shipped order needs a full address: the errors go next to the fields."""
        ok = True
        for name in ("name", "line1", "postal_code", "city"):
            if not (self.cleaned_data.get(name) or "").strip():
                self.add_error(name, _("Needed to ship the order."))
                ok = False
        return ok


# --- editing a placed order -------------------------------------------------------------


class EditLineForm(forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}),
    )


class EditAddLineForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU or barcode"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "autocomplete": "off"}),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("sku") and not data.get("quantity"):
            data["quantity"] = 1
        return data


EditLineFormSet = formset_factory(EditLineForm, extra=0)
EditAddLineFormSet = formset_factory(EditAddLineForm, extra=3)


class EditDeliveryForm(AddressForm):
    shipping_method = forms.ModelChoiceField(
        label=_("Shipping method"),
        queryset=ShippingMethod.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    shipping_amount = forms.DecimalField(
        label=_("Shipping (net)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )


# --- taking a new order -----------------------------------------------------------------


class OrderEntryForm(AddressForm):
    """The header of the new-order page; its lines come as ``line_sku`` / ``line_quantity`` lists."""

    DELIVERY_SHIP = "ship"
    DELIVERY_PICKUP = "pickup"
    DELIVERY_COUNTER = "counter"
    DELIVERY_CHOICES = [
        (DELIVERY_SHIP, _("Ship to an address")),
        (DELIVERY_PICKUP, _("Pickup at a store")),
        (DELIVERY_COUNTER, _("Taken now (in person)")),
    ]

    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.filter(is_active=True, kind__in=[Channel.Kind.PHONE, Channel.Kind.IN_PERSON]),
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer_query = forms.CharField(
        label=_("Find a customer"),
        required=False,
        max_length=100,
        help_text=_("Name, e-mail, phone or company."),
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "autocomplete": "off"}),
    )
    new_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    new_last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    new_email = forms.EmailField(label=_("E-mail"), required=False)
    new_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    new_company = forms.CharField(label=_("Company"), max_length=200, required=False)

    add_code = forms.CharField(
        label=_("Add a product"),
        required=False,
        max_length=100,
        help_text=_("Name, SKU or barcode; a scanner's Enter adds the line."),
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "autocomplete": "off"}),
    )
    add_quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        required=False,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    discount_percent = forms.DecimalField(
        label=_("Order discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
        initial=Decimal("0"),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "inputmode": "decimal"}),
    )
    discount_code = forms.CharField(
        label=_("Discount code"),
        max_length=40,
        required=False,
        help_text=_("Instead of a manual discount; checked as you type."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "autocapitalize": "characters"}),
    )
    delivery = forms.ChoiceField(label=_("Delivery"), choices=DELIVERY_CHOICES, initial=DELIVERY_SHIP)
    shipping_method = forms.ModelChoiceField(
        label=_("Shipping method"),
        queryset=ShippingMethod.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    pickup_location = forms.ModelChoiceField(
        label=_("Pickup at"),
        queryset=Location.objects.filter(is_active=True, is_pickup_point=True),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    payment_choice = forms.ChoiceField(
        label=_("How will the customer pay?"),
        choices=PaymentChoice.choices,
        required=False,
        error_messages={"invalid_choice": _("Choose a way to pay from the list.")},
        help_text=_("“Pay at pickup” is offered with pickup at a store (press “Update totals” if it is not listed)."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    payment_method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[("cash", _("Cash")), ("card", _("Card terminal"))],
        initial="cash",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    cash_tendered = forms.DecimalField(
        label=_("Cash tendered"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("The change due is shown once the sale is done."),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "inputmode": "decimal"}),
    )
    payment_reference = forms.CharField(
        label=_("Card terminal reference"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=_("Internal notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    draft = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.discount_limit = discount_limit_for(user) if user is not None else None
        for name in ("new_first_name", "new_last_name", "new_email", "new_phone", "new_company"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["delivery"].widget = forms.RadioSelect(
            choices=self.DELIVERY_CHOICES, attrs={"class": "form-check-input"}
        )
        self.fields["shipping_method"].label_from_instance = lambda m: f"{m.name} ({m.price_amount})"
        self._offer_payment_choices()
        live = {
            "hx-post": reverse("orders:entry-totals"),
            "hx-target": "#entry-totals",
            "hx-include": "#order-entry-form",
        }
        for name, trigger in (
            ("discount_percent", "input changed delay:300ms"),
            ("discount_code", "input changed delay:400ms"),
            ("shipping_method", "change"),
            ("channel", "change"),
            ("delivery", "change"),
        ):
            self.fields[name].widget.attrs.update({**live, "hx-trigger": trigger})
        if self.discount_limit is not None:
            self.fields["discount_percent"].help_text = _("Up to %(limit)s %% for staff.") % {
                "limit": self.discount_limit
            }

    def _offer_payment_choices(self) -> None:
        """Offer the ways to pay that suit the delivery; the field still accepts every one.

        "At pickup" is listed with pickup at a store, or while it is the value posted (so the
        refusal shown next to it names what is selected). A sale taken now is paid at the
        counter: the page asks nothing (``payment_choice_asked``) and the view ignores the value.
        """
        delivery = self["delivery"].value()
        current = self["payment_choice"].value() or ""
        self.payment_choice_asked = delivery != self.DELIVERY_COUNTER
        self.fields["payment_choice"].widget.choices = [
            (value, label)
            for value, label in PaymentChoice.choices
            if value != PaymentChoice.AT_PICKUP or delivery == self.DELIVERY_PICKUP or current == value
        ]

    def clean_discount_percent(self):
        value = self.cleaned_data.get("discount_percent") or Decimal("0")
        if self.discount_limit is not None and value > self.discount_limit:
            raise forms.ValidationError(
                _("Staff may give at most %(limit)s %% discount; ask the owner.") % {"limit": self.discount_limit}
            )
        return value

    def new_customer(self) -> dict | None:
        data = {
            "first_name": self.cleaned_data.get("new_first_name", ""),
            "last_name": self.cleaned_data.get("new_last_name", ""),
            "email": self.cleaned_data.get("new_email", ""),
            "phone": self.cleaned_data.get("new_phone", ""),
            "company_name": self.cleaned_data.get("new_company", ""),
        }
        return data if any(v.strip() for v in data.values()) else None


def parse_entry_lines(data) -> tuple[list[tuple[str, int]], list[str]]:
    """The page's lines from the posted ``line_sku`` / ``line_quantity`` lists.

    A quantity of 0 (or the line's remove button) drops the line; the same SKU twice is merged.
    Returns the lines in the order entered and the errors to show.
    """
    skus = data.getlist("line_sku")
    quantities = data.getlist("line_quantity")
    remove = set(data.getlist("remove_line"))
    lines: dict[str, int] = {}
    errors: list[str] = []
    for index, sku in enumerate(skus):
        sku = sku.strip()
        if not sku or sku in remove:
            continue
        raw = quantities[index] if index < len(quantities) else "1"
        try:
            quantity = int(raw)
        except (TypeError, ValueError):
            errors.append(_("%(sku)s: the quantity must be a whole number.") % {"sku": sku})
            quantity = 1
        if quantity < 0 or quantity > MAX_LINE_QUANTITY:
            errors.append(
                _("%(sku)s: the quantity must be between 0 and %(max)s.") % {"sku": sku, "max": MAX_LINE_QUANTITY}
            )
            quantity = 1
        if quantity == 0:
            continue
        lines[sku] = lines.get(sku, 0) + quantity
    return list(lines.items()), errors


class CartReportForm(forms.Form):
    """The cart report's date range (local days, both included)."""

    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))

    def clean(self):
        from orders.selectors.carts import REPORT_MAX_DAYS

        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("The end date must be on or after the start date."))
            elif (end - start).days >= REPORT_MAX_DAYS:
                self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": REPORT_MAX_DAYS})
        return cleaned
