import io
import os
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from billing.models import Invoice
from billing.services import build_receipt_pdf, issue_invoice, record_payment, render_invoice_pdf
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _dump(name: str, content: bytes) -> None:
    """BILLING_PDF_DUMP=/tmp/dir keeps the PDFs to look at (pdftoppm -png -r 60)."""
    target = os.environ.get("BILLING_PDF_DUMP")
    if target:
        with open(os.path.join(target, name), "wb") as handle:
            handle.write(content)


def test_invoice_pdf_prints_number_buyer_vat_and_total_and_is_rendered_once():
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("19.99"), D("5.00"), D("120.00")], quantities=[3, 2, 1], discount_percent=D("10"))
    record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    invoice = order.invoices.get()
    # when
    invoice = render_invoice_pdf(invoice_id=invoice.pk)
    first_name = invoice.pdf.name
    again = render_invoice_pdf(invoice_id=invoice.pk)
    # then
    assert invoice.status == Invoice.Status.READY
    assert again.pdf.name == first_name
    assert len(default_storage.listdir(os.path.dirname(first_name))[1]) == 1
    content = default_storage.open(first_name).read()
    _dump("invoice.pdf", content)
    text = _text(content)
    assert invoice.number in text
    assert "Ada Lovelace" in text
    assert "Backroom Demo GmbH" in text
    assert "PAID" in text
    assert f"{order.total_amount:,}" in text
    vat_row = invoice.snapshot["vat"][0]
    gross = Decimal(vat_row["basis"]) + Decimal(vat_row["vat"])
    assert text.count(f"€{gross:,}") >= 2  # the VAT summary's gross (one rate) and the total
    assert "1 / 1" in text


def test_long_invoice_numbers_its_pages():
    # given
    store_with_legal_details()
    customer = CustomerFactory(payment_terms_days=30)
    order = placed_order(prices=[D("1.00")] * 60, customer=customer)
    invoice = issue_invoice(order=order)
    # when
    invoice = render_invoice_pdf(invoice_id=invoice.pk)
    # then
    content = invoice.pdf.open("rb").read()
    _dump("invoice-long.pdf", content)
    reader = PdfReader(io.BytesIO(content))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"{pages} / {pages}" in reader.pages[-1].extract_text()
    assert invoice.due_date is not None
    assert "IBAN" in _text(content)


def test_receipt_is_80_mm_wide():
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("3.50"), D("12.00")])
    record_payment(order=order, method="cash", amount=D("50.00"), currency="EUR", by=None)
    invoice = order.invoices.get()
    # when
    content = build_receipt_pdf(invoice)
    # then
    _dump("receipt.pdf", content)
    page = PdfReader(io.BytesIO(content)).pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    assert round(width_mm) == 80
    assert "Change" in _text(content)
