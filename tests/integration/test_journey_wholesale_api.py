"""Journey 6, "A wholesale order on terms", end to end through the JSON API.

A B2B buyer's system (a Staff user's API token) posts an order with an Idempotency-Key and
posts it again after a timeout: one order, the same answer. The buyer's wholesale price list
applies (a request cannot set prices); the buyer is on 30-day terms, so the invoice is issued
at placement with its due date, as a Factur-X PDF whose EN 16931 XML carries that date. Two
weeks later the bank transfer is recorded through the API and the order is paid.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.models import Invoice
from catalog.models import Channel, Price
from config.roles import STAFF
from orders.models import Order
from tests.billing.factories import store_with_legal_details
from tests.billing.facturx_checks import assert_valid_facturx_pdf
from tests.catalog.factories import ChannelFactory, CustomerGroupFactory, PriceListFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory
from tests.shipping.factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)
ADDRESS = {
    "name": "Goods in",
    "company": "Acme Retail GmbH",
    "line1": "Lagerstraße 5",
    "city": "Hamburg",
    "postal_code": "20095",
    "country": "DE",
}


@pytest.fixture
def wholesale():
    store_with_legal_details()
    channel = ChannelFactory(code="wholesale", kind=Channel.Kind.WHOLESALE)
    warehouse = LocationFactory(code="warehouse")
    # the channel's list: what a trade buyer without a group would pay
    mug = stocked_variant(channel=channel, location=warehouse, on_hand=100, price=Decimal("12.50"), sku="MUG-RED")
    tee = stocked_variant(channel=channel, location=warehouse, on_hand=40, price=Decimal("20.00"), sku="TEE-M")
    trade = CustomerGroupFactory(name="Trade", price_list=PriceListFactory(code="trade", name="Trade"))
    Price.objects.create(price_list=trade.price_list, variant=mug, amount=Decimal("8.00"))
    Price.objects.create(price_list=trade.price_list, variant=mug, min_quantity=10, amount=Decimal("7.50"))
    Price.objects.create(price_list=trade.price_list, variant=tee, amount=Decimal("15.00"))
    ShippingMethodFactory(code="freight", name="Freight", price_amount=Decimal("25.00"))
    buyer = CustomerFactory(
        email="orders@acme.example",
        first_name="",
        last_name="",
        company_name="Acme Retail GmbH",
        vat_id="DE987654321",
        group=trade,
        payment_terms_days=30,
    )
    staff = UserFactory(username="acme-integration", role=STAFF)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    return {"channel": channel, "mug": mug, "tee": tee, "buyer": buyer, "staff": staff, "api": api}


def _body(**overrides) -> dict:
    body = {
        "channel": "wholesale",
        "external_reference": "PO-4711",
        "customer": {"email": "orders@acme.example", "name": "Acme Retail GmbH", "company": "Acme Retail GmbH"},
        "shipping_address": ADDRESS,
        "shipping_method": "freight",
        "lines": [{"sku": "MUG-RED", "quantity": 12}, {"sku": "TEE-M", "quantity": 2}],
    }
    body.update(overrides)
    return body


def test_a_wholesale_order_on_terms_through_the_api_is_invoiced_and_paid_by_transfer(
    wholesale, django_capture_on_commit_callbacks
):
    api = wholesale["api"]
    # -- a request that tries to set its own price is refused and changes nothing
    with time_machine.travel(T0, tick=False):
        cheeky = _body(lines=[{"sku": "MUG-RED", "quantity": 12, "unit_price": "1.00"}])
        response = api.post("/api/v1/orders/", cheeky, format="json", HTTP_IDEMPOTENCY_KEY="acme-po-4711-a")
    assert response.status_code == 400
    assert "lines.0.unit_price" in response.json()["error"]["fields"] or "unit_price" in str(response.json())
    assert not Order.objects.exists()

    # -- the order, then the same request again after a client timeout
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/orders/", _body(), format="json", HTTP_IDEMPOTENCY_KEY="acme-po-4711-b")
    assert first.status_code == 201, first.json()
    with time_machine.travel(T0 + timedelta(seconds=35), tick=False):
        again = api.post("/api/v1/orders/", _body(), format="json", HTTP_IDEMPOTENCY_KEY="acme-po-4711-b")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again.get("Idempotent-Replayed") == "true"
    assert Order.objects.count() == 1

    data = first.json()
    order = Order.objects.get(number=data["number"])
    assert order.customer == wholesale["buyer"] and order.channel.code == "wholesale"
    assert first["Location"].endswith(f"/api/v1/orders/{order.number}/")
    # -- the buyer's wholesale list, with its 10-unit tier; not the channel's nor the request's
    prices = {line["sku"]: (line["quantity"], line["unit_price"], line["total"]) for line in data["lines"]}
    assert prices == {"MUG-RED": (12, "7.50", "90.00"), "TEE-M": (2, "15.00", "30.00")}
    assert data["subtotal"] == "120.00" and data["shipping"] == "25.00" and data["currency"] == "EUR"
    assert data["tax"] == "27.55"  # 19 % of (120.00 + 25.00)
    assert data["total"] == "172.55" and data["balance_due"] == "172.55"

    # -- invoiced at placement, due in 30 days
    (invoice_data,) = data["invoices"]
    assert invoice_data["kind"] == "invoice" and invoice_data["total"] == "172.55"
    invoice = Invoice.objects.get(number=invoice_data["number"])
    assert invoice.order == order
    assert invoice.due_date == timezone.localdate(T0) + timedelta(days=30)

    # -- the merchant sees on the order page when the invoice is due
    back_office = Client()
    back_office.force_login(wholesale["staff"])
    page = back_office.get(f"/orders/{order.number}/").content.decode()
    assert "due " + date_format(invoice.due_date, "DATE_FORMAT") in page

    # -- its PDF is Factur-X, fetched by the buyer's system with its token: EN 16931 XML inside,
    #    with the buyer, the total and the due date; the XML alone is there too
    response = api.get(invoice_data["pdf_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    xml = assert_valid_facturx_pdf(pdf, number=invoice.number).decode()
    response = api.get(invoice_data["xml_url"])
    assert response.status_code == 200 and response.content.decode() == xml
    due = invoice.due_date.strftime("%Y%m%d")
    assert f'<udt:DateTimeString format="102">{due}</udt:DateTimeString>' in xml.split("DueDateDateTime")[1]
    assert "Acme Retail GmbH" in xml and "DE987654321" in xml
    assert "<ram:GrandTotalAmount>172.55</ram:GrandTotalAmount>" in xml
    assert "DE89370400440532013000" in xml  # where to send the transfer

    # -- two weeks later the transfer arrives and is recorded
    payment = {"method": "bank_transfer", "amount": "172.55", "reference": "ACME PO-4711 " + invoice.number}
    with time_machine.travel(T0 + timedelta(days=14), tick=False):
        response = api.post(
            f"/api/v1/orders/{order.number}/payments/", payment, format="json", HTTP_IDEMPOTENCY_KEY="acme-pay-1"
        )
        assert response.status_code == 201, response.json()
        again = api.post(
            f"/api/v1/orders/{order.number}/payments/", payment, format="json", HTTP_IDEMPOTENCY_KEY="acme-pay-1"
        )
        assert again.status_code == 201 and again.json() == response.json()
        detail = api.get(f"/api/v1/orders/{order.number}/").json()
    assert detail["payment_status"] == "paid"
    assert detail["status"] == "processing"  # paid, to be shipped (no "paid" status in this lifecycle)
    assert detail["balance_due"] == "0.00"
    (paid,) = detail["payments"]
    assert paid["method"] == "bank_transfer" and paid["amount"] == "172.55"
    order.refresh_from_db()
    assert order.payments.count() == 1
    assert order.invoices.filter(kind=Invoice.Kind.INVOICE).count() == 1  # paying issues no second invoice
