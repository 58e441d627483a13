"""The Factur-X XML alone from the back-office, and why an invoice is missing on the order page."""

from decimal import Decimal
from unittest.mock import patch

import pytest
from django.urls import reverse

from billing.services import issue_invoice, record_payment
from tests.billing.factories import placed_order, store_with_legal_details
from tests.billing.facturx_checks import assert_valid_facturx_xml
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_invoice_xml_downloads_the_en16931_cii(client):
    # given
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        invoice = issue_invoice(order=placed_order(prices=[D("12.50"), D("3.99")], quantities=[2, 5]))
    url = reverse("billing:invoice-xml", args=[invoice.number])
    client.force_login(UserFactory(role="Staff"))
    # when
    response = client.get(url)
    missing = client.get(reverse("billing:invoice-xml", args=["INV-1999-000001"]))
    detail = client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.xml"'
    assert_valid_facturx_xml(response.content)
    assert f"<ram:ID>{invoice.number}</ram:ID>".encode() in response.content
    assert missing.status_code == 404
    assert url in detail.content.decode()


def test_invoice_xml_needs_a_login(client):
    # given
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        invoice = issue_invoice(order=placed_order())
    # when
    response = client.get(reverse("billing:invoice-xml", args=[invoice.number]))
    # then
    assert response.status_code == 302 and "/login" in response["Location"]


def test_order_page_says_which_store_setting_an_invoice_waits_for(client):
    # given: paid, but the store has no VAT id, so no invoice was issued
    store_with_legal_details(vat_id="")
    order = placed_order(prices=[D("20.00")])
    record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    client.force_login(UserFactory(role="Owner"))
    # when
    page = client.get(reverse("orders:order-detail", args=[order.number]))
    # then
    assert not order.invoices.exists()
    assert "Invoices cannot be issued until the store settings have the VAT id." in page.content.decode()
