"""The API's contract: the field names other systems code against. Keep them stable.

Money is a decimal string (``"123.40"``) with the order's ``currency`` beside it; an address
is ``{name, company, line1, line2, city, postal_code, region, country, phone}``. Input
serializers only check the shape; the services decide everything else (prices above all:
the request cannot set one).
"""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import PaymentChoice
from orders.services import MAX_LINE_QUANTITY

# ISO 3166-1 alpha-2.
_ISO_3166_ALPHA_2 = """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
    HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
    LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
    SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
COUNTRY_CODES = frozenset(_ISO_3166_ALPHA_2.split())
MAX_LINES = 200
# The contract's payment methods, and billing's names for them.
PAYMENT_METHODS = {
    "cash": "cash",
    "card_terminal": "card",
    "bank_transfer": "bank_transfer",
    "cheque": "cheque",
    "online": "online",
}
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "postal_code", "region", "country", "phone")


def Money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know (a ``unit_price`` sent by mistake must not pass silently)."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            message = _("Unknown field; prices and totals come from the shop.")
            unknown = {name: [message] for name in sorted(set(data) - set(self.fields))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class AddressSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = serializers.CharField(
        min_length=2, max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. DE, FR, GB.")
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value not in COUNTRY_CODES:
            raise serializers.ValidationError(_("Not an ISO 3166-1 alpha-2 country code."))
        return value


class AddressOutSerializer(serializers.Serializer):
    """An address as stored on the order (every key present, empty when not given)."""

    name = serializers.CharField()
    company = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    region = serializers.CharField()
    country = serializers.CharField()
    phone = serializers.CharField()

    def to_representation(self, instance):
        instance = instance or {}
        return {name: str(instance.get(name, "") or "") for name in ADDRESS_FIELDS}


class CustomerInputSerializer(StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True, help_text=_("Matched to an existing customer."))
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LineInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class OrderCreateSerializer(StrictSerializer):
    channel = serializers.SlugField(
        max_length=40, help_text=_("Channel code: web, phone, in_person, wholesale, marketplace.")
    )
    external_reference = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Your own id of the order; an order is never created twice per channel and reference."),
    )
    customer = CustomerInputSerializer()
    shipping_address = AddressSerializer(required=False, allow_null=True, default=None)
    billing_address = AddressSerializer(required=False, allow_null=True, default=None)
    shipping_method = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    pickup_location = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    discount_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    payment_choice = serializers.ChoiceField(
        choices=[value for value in PaymentChoice.values if value],
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "How the customer said they will pay: online, at_pickup (needs a pickup location), "
            "bank_transfer or on_terms; empty when not said."
        ),
    )


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField(source="description")
    quantity = serializers.IntegerField()
    unit_price = Money(source="unit_price_amount")
    tax_rate = Money(help_text=_("VAT rate in percent."))
    total = Money(source="line_total_amount", help_text=_("Net line total."))
    backordered = serializers.IntegerField(source="quantity_backordered")


class CustomerOutSerializer(serializers.Serializer):
    email = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    company = serializers.CharField()

    def to_representation(self, order):
        customer = order.customer
        return {
            "email": order.email,
            "name": order.customer_name,
            "phone": order.phone,
            "company": customer.company_name if customer is not None else "",
        }


class OrderSerializer(serializers.Serializer):
    """An order as every endpoint answers it (the list and the detail)."""

    number = serializers.CharField()
    tracking_code = serializers.CharField()
    tracking_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    external_reference = serializers.CharField()
    channel = serializers.CharField(source="channel.code")
    status = serializers.CharField()
    payment_status = serializers.CharField()
    fulfilment_status = serializers.CharField()
    payment_choice = serializers.CharField(help_text=_("How the customer said they will pay (empty: not said)."))
    needs_review = serializers.BooleanField()
    customer = CustomerOutSerializer(source="*")
    shipping_address = AddressOutSerializer()
    billing_address = AddressOutSerializer()
    shipping_method = serializers.SerializerMethodField()
    pickup_location = serializers.SerializerMethodField()
    currency = serializers.CharField()
    subtotal = Money(source="subtotal_amount")
    shipping = Money(source="shipping_amount")
    discount = Money(source="discount_amount")
    tax = Money(source="tax_amount")
    total = Money(source="total_amount")
    balance_due = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True, source="lines.all")
    placed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, order) -> str:
        path = reverse("api:order-detail", kwargs={"number": order.number})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_tracking_url(self, order) -> str:
        path = reverse("shipping:track", kwargs={"code": order.tracking_code})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_shipping_method(self, order) -> str | None:
        return order.shipping_method.code if order.shipping_method_id else None

    def get_pickup_location(self, order) -> str | None:
        return order.pickup_location.code if order.pickup_location_id else None

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_balance_due(self, order) -> str:
        paid = getattr(order, "api_paid", None) or Decimal("0")
        refunded = getattr(order, "api_refunded", None) or Decimal("0")
        return f"{max(order.total_amount - (paid - refunded), Decimal('0')):.2f}"


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    method = serializers.SerializerMethodField()
    status = serializers.CharField()
    amount = Money()
    currency = serializers.CharField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_method(self, payment) -> str:
        return {v: k for k, v in PAYMENT_METHODS.items()}.get(payment.method, payment.method)


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    total = Money(source="total_amount")
    pdf_url = serializers.SerializerMethodField()
    xml_url = serializers.SerializerMethodField()

    def _url(self, name: str, invoice) -> str:
        path = reverse(name, kwargs={"number": invoice.number})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_pdf_url(self, invoice) -> str:
        """The API's own download, reachable with the token (the back-office link needs a session)."""
        return self._url("api:invoice-pdf", invoice)

    def get_xml_url(self, invoice) -> str:
        return self._url("api:invoice-xml", invoice)


class TrackingEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField()
    description = serializers.CharField()
    source = serializers.CharField()


class ShipmentLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="order_line.sku")
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.number")
    status = serializers.CharField()
    location = serializers.CharField(source="location.code")
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    lines = ShipmentLineSerializer(many=True, source="lines.all")
    events = TrackingEventSerializer(many=True, source="events.all")


class OrderDetailSerializer(OrderSerializer):
    payments = PaymentSerializer(many=True, source="payments.all")
    invoices = InvoiceSerializer(many=True, source="invoices.all")
    shipments = ShipmentSerializer(many=True, source="shipments.all")


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PaymentCreateSerializer(StrictSerializer):
    method = serializers.ChoiceField(choices=list(PAYMENT_METHODS))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text=_("Defaults to the order's currency.")
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ShipmentLineInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class ShipmentCreateSerializer(StrictSerializer):
    location = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Defaults to where the stock is reserved."),
    )
    lines = ShipmentLineInputSerializer(
        many=True, required=False, max_length=MAX_LINES, help_text=_("Defaults to everything left to ship.")
    )


SHIPMENT_EVENT_STATUSES = ("packed", "shipped", "in_transit", "out_for_delivery", "delivered", "exception", "returned")


class ShipmentEventCreateSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=SHIPMENT_EVENT_STATUSES)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Your event id: sent twice, recorded once."),
    )
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    carrier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class StockRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class StockItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField(help_text=_("Total available for the channel."))
    locations = StockRowSerializer(many=True)


class StockSerializer(serializers.Serializer):
    channel = serializers.CharField()
    results = StockItemSerializer(many=True)


class PriceTierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProductSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    product = serializers.CharField()
    variant = serializers.CharField()
    barcode = serializers.CharField()
    weight_grams = serializers.IntegerField()
    currency = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, help_text=_("Net unit price."))
    tiers = PriceTierSerializer(many=True)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    available = serializers.IntegerField()
    allow_backorder = serializers.BooleanField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """Every 4xx: ``{"error": {"code", "message", "fields"}}`` (a 409 may add ``shortages`` or ``order``)."""

    error = ErrorDetailSerializer()


class OrderPageSerializer(serializers.Serializer):
    """A page of the cursor-paginated order list: follow ``next`` until it is null."""

    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = OrderSerializer(many=True)


class ProductPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ProductSerializer(many=True)
