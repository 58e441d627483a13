"""Payments, shipments, tracking events, stock and products; every role and the 401/403 shapes."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Payment
from inventory.models import StockLevel
from orders.models import Order
from shipping.models import Shipment
from tests.api.conftest import order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def number(shop, staff_api):
    return staff_api.post("/api/v1/orders/", order_body(), format="json").json()["number"]


def test_payment_in_full_makes_the_order_paid_and_issues_the_invoice(number, staff_api):
    total = Order.objects.get(number=number).total_amount
    response = staff_api.post(
        f"/api/v1/orders/{number}/payments/",
        {"method": "bank_transfer", "amount": str(total), "reference": "SEPA-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["method"] == "bank_transfer" and response.json()["amount"] == str(total)
    assert response["Location"].endswith(f"/api/v1/orders/{number}/")
    detail = staff_api.get(f"/api/v1/orders/{number}/").json()
    assert detail["payment_status"] == "paid" and detail["balance_due"] == "0.00"
    assert [p["reference"] for p in detail["payments"]] == ["SEPA-1"]
    if detail["invoices"]:  # issued when the store's legal details are filled in
        assert detail["invoices"][0]["pdf_url"].endswith("/pdf/")


def test_card_terminal_is_billings_card(number, staff_api):
    response = staff_api.post(
        f"/api/v1/orders/{number}/payments/", {"method": "card_terminal", "amount": "1.00"}, format="json"
    )
    assert response.status_code == 201
    assert Payment.objects.get().method == "card" and response.json()["method"] == "card_terminal"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"method": "bitcoin", "amount": "1.00"}, 400, "method"),
        ({"method": "cash", "amount": "-1"}, 400, "amount"),
        ({"method": "cash", "amount": "1.001"}, 400, "amount"),
        ({"method": "cash", "amount": "NaN"}, 400, "amount"),
        ({"method": "cash"}, 400, "amount"),
        ({"method": "bank_transfer", "amount": "99999.00"}, 409, None),
        ({"method": "bank_transfer", "amount": "1.00", "currency": "USD"}, 409, None),
    ],
)
def test_bad_payments_are_refused_and_record_nothing(number, staff_api, body, status, field):
    response = staff_api.post(f"/api/v1/orders/{number}/payments/", body, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["error"]["fields"]
    assert not Payment.objects.exists()


def test_shipment_then_events_until_delivered(number, staff_api, warehouse_api):
    # given a paid order
    total = Order.objects.get(number=number).total_amount
    staff_api.post(f"/api/v1/orders/{number}/payments/", {"method": "cash", "amount": str(total)}, format="json")
    # when the warehouse ships part of it
    created = warehouse_api.post(
        f"/api/v1/orders/{number}/shipments/", {"lines": [{"sku": "MUG-RED", "quantity": 1}]}, format="json"
    )
    assert created.status_code == 201, created.json()
    shipment = created.json()
    assert shipment["status"] == "pending" and shipment["location"] == "warehouse"
    assert shipment["lines"] == [{"sku": "MUG-RED", "quantity": 1}]
    assert created["Location"].endswith(f"/api/v1/shipments/{shipment['id']}/")
    url = f"/api/v1/shipments/{shipment['id']}/events/"
    shipped = warehouse_api.post(url, {"status": "shipped", "tracking_number": "00340434161094042557"}, format="json")
    assert shipped.status_code == 201, shipped.json()
    assert shipped.json()["status"] == "shipped"
    assert StockLevel.objects.get(variant__sku="MUG-RED").on_hand == 9
    event = {"status": "delivered", "external_id": "evt-9", "occurred_at": timezone.now().isoformat()}
    assert warehouse_api.post(url, event, format="json").status_code == 201
    # a duplicate and a late event change nothing
    assert warehouse_api.post(url, event, format="json").status_code == 200
    late = warehouse_api.post(url, {"status": "in_transit"}, format="json")
    assert late.status_code == 200 and late.json()["status"] == "delivered"
    detail = staff_api.get(f"/api/v1/orders/{number}/").json()
    assert detail["shipments"][0]["status"] == "delivered"
    assert [e["status"] for e in detail["shipments"][0]["events"]] == ["delivered"]
    assert detail["fulfilment_status"] == "partially_fulfilled"


def test_shipment_errors(number, staff_api):
    url = f"/api/v1/orders/{number}/shipments/"
    assert (
        "lines.0.sku"
        in staff_api.post(url, {"lines": [{"sku": "NOPE", "quantity": 1}]}, format="json").json()["error"]["fields"]
    )
    assert "location" in staff_api.post(url, {"location": "mars"}, format="json").json()["error"]["fields"]
    too_many = staff_api.post(url, {"lines": [{"sku": "MUG-RED", "quantity": 99}]}, format="json")
    assert too_many.status_code == 400 and "lines" in too_many.json()["error"]["fields"]
    assert not Shipment.objects.exists()
    assert staff_api.post("/api/v1/orders/000/shipments/", {}, format="json").status_code == 404


def test_events_errors(number, staff_api):
    shipment = staff_api.post(f"/api/v1/orders/{number}/shipments/", {}, format="json").json()
    url = f"/api/v1/shipments/{shipment['id']}/events/"
    assert staff_api.post(url, {"status": "teleported"}, format="json").status_code == 400
    not_yet = staff_api.post(url, {"status": "delivered"}, format="json")
    assert not_yet.status_code == 409 and not_yet.json()["error"]["code"] == "refused"
    assert staff_api.post("/api/v1/shipments/999999/events/", {"status": "delivered"}, format="json").status_code == 404


def test_stock_per_location_and_total(shop, staff_api, number):
    response = staff_api.get("/api/v1/stock/?sku=MUG-RED,TEE-M&channel=marketplace")
    assert response.status_code == 200
    data = response.json()
    assert data["channel"] == "marketplace"
    mug = data["results"][0]
    assert mug == {
        "sku": "MUG-RED",
        "available": 8,
        "locations": [{"sku": "MUG-RED", "location": "warehouse", "on_hand": 10, "reserved": 2, "available": 8}],
    }
    for query, field in [
        ("sku=MUG-RED", "channel"),
        ("channel=marketplace", "sku"),
        ("sku=NOPE&channel=marketplace", "sku"),
        ("sku=MUG-RED&channel=moon", "channel"),
    ]:
        bad = staff_api.get(f"/api/v1/stock/?{query}")
        assert bad.status_code == 400 and field in bad.json()["error"]["fields"]


def test_products_of_a_channel_with_prices(shop, staff_api):
    response = staff_api.get("/api/v1/products/?channel=marketplace")
    assert response.status_code == 200
    rows = {p["sku"]: p for p in response.json()["results"]}
    assert rows["MUG-RED"]["price"] == "12.50" and rows["MUG-RED"]["currency"] == "EUR"
    assert rows["MUG-RED"]["available"] == 10 and rows["TEE-M"]["tax_rate"] == "19.00"
    assert staff_api.get("/api/v1/products/").status_code == 400


# --- authentication and roles ----------------------------------------------------------------


def test_no_token_is_401_and_a_bad_token_too(shop, client):
    response = client.get("/api/v1/orders/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"
    bad = client.get("/api/v1/orders/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "authentication_failed"


def test_a_session_is_not_enough(shop, client):
    from tests.orders.factories import UserFactory

    client.force_login(UserFactory(role="Owner"))
    assert client.get("/api/v1/orders/").status_code == 401


ROLE_MATRIX = [
    # (method, path, Owner, Staff, Warehouse, no role)
    ("get", "/api/v1/orders/", 200, 200, 200, 403),
    ("post", "/api/v1/orders/", 201, 201, 403, 403),
    ("get", "/api/v1/orders/{number}/", 200, 200, 200, 403),
    ("post", "/api/v1/orders/{number}/payments/", 201, 201, 403, 403),
    ("post", "/api/v1/orders/{number}/shipments/", 201, 201, 201, 403),
    ("get", "/api/v1/stock/?sku=MUG-RED&channel=marketplace", 200, 200, 200, 403),
    ("get", "/api/v1/products/?channel=marketplace", 200, 200, 403, 403),
    ("post", "/api/v1/orders/{number}/cancel/", 200, 200, 403, 403),
]


@pytest.mark.parametrize(("method", "path", *["owner", "staff", "warehouse", "norole"]), ROLE_MATRIX)
def test_each_role_may_do_what_the_back_office_lets_it(
    shop, owner_api, staff_api, warehouse_api, norole_api, method, path, owner, staff, warehouse, norole
):
    bodies = {
        "/api/v1/orders/": order_body(
            lines=[{"sku": "MUG-RED", "quantity": 1}], shipping_method="", shipping_address=None
        ),
        "payments/": {"method": "cash", "amount": "0.50"},
        "shipments/": {"lines": [{"sku": "MUG-RED", "quantity": 1}]},
        "cancel/": {},
    }
    for client, expected in ((norole_api, norole), (warehouse_api, warehouse), (staff_api, staff), (owner_api, owner)):
        number = owner_api.post("/api/v1/orders/", bodies["/api/v1/orders/"], format="json").json()["number"]
        url = path.format(number=number)
        body = next((b for suffix, b in bodies.items() if url.endswith(suffix)), None)
        response = getattr(client, method)(url, body, format="json") if method == "post" else client.get(url)
        assert response.status_code == expected, (client.user, url, response.json())
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"
    assert Decimal("0") <= sum(p.amount for p in Payment.objects.all())


def test_an_invoice_is_downloaded_with_the_token_as_factur_x_pdf_and_as_xml(shop, staff_api, warehouse_api):
    from facturx import get_facturx_xml_from_pdf
    from pypdf import PdfReader

    from tests.billing.factories import store_with_legal_details

    store_with_legal_details()
    number = staff_api.post("/api/v1/orders/", order_body(), format="json").json()["number"]
    total = Order.objects.get(number=number).total_amount
    staff_api.post(
        f"/api/v1/orders/{number}/payments/", {"method": "bank_transfer", "amount": str(total)}, format="json"
    )
    invoice = staff_api.get(f"/api/v1/orders/{number}/").json()["invoices"][0]

    pdf = staff_api.get(invoice["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = b"".join(pdf.streaming_content)
    assert invoice["number"] in PdfReader(io.BytesIO(body)).pages[0].extract_text()
    _filename, embedded = get_facturx_xml_from_pdf(io.BytesIO(body))

    xml = staff_api.get(invoice["xml_url"])
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    assert xml.content == embedded and invoice["number"].encode() in xml.content
    # Warehouse may read orders but not invoices; an unknown number is a 404 in the error shape.
    assert warehouse_api.get(invoice["xml_url"]).status_code == 403
    missing = staff_api.get("/api/v1/invoices/INV-1999-000001/xml/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
