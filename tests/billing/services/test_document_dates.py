"""The invoice and receipt print one date format throughout (the DUE stamp included), and the
buyer block names a buyer once when their name is their company's."""

import datetime
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils.html import strip_tags

from billing.services import issue_invoice
from billing.services.documents import document_context
from tests.billing.factories import placed_order, store_with_legal_details

pytestmark = pytest.mark.django_db

SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@pytest.fixture
def invoice():
    store_with_legal_details()
    order = placed_order(prices=[Decimal("19.99")])
    invoice = issue_invoice(order=order, by=None)
    invoice.due_date = datetime.date(2026, 12, 28)
    buyer = invoice.snapshot.setdefault("buyer", {})
    buyer["name"] = buyer["company"] = "Loom Works"
    buyer.setdefault("address", {})["name"] = "Loom Works"
    buyer["address"]["company"] = ""
    return invoice


def test_the_invoice_prints_every_date_alike_and_the_buyer_once(invoice):
    html = render_to_string("billing/invoice_pdf.html", document_context(invoice))
    assert not SHORT_DATE.search(html)
    assert html.count("Dec. 28, 2026") >= 3  # the due date row, "please pay by" and the DUE stamp
    buyer = html.split('class="buyer"')[1].split("</div>")[0]
    assert strip_tags(buyer).count("Loom Works") == 1


def test_the_receipt_prints_its_date_as_the_invoice_does(invoice):
    html = render_to_string("billing/receipt_pdf.html", document_context(invoice))
    assert not SHORT_DATE.search(html)
    assert invoice.issued_at.strftime("%Y") in html
