import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.services import issue_invoice, record_payment, refund_payment
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="Staff"))
    return client


@pytest.fixture
def invoices():
    store_with_legal_details()
    return [issue_invoice(order=placed_order(prices=[D("10.00") * (i + 1)])) for i in range(3)]


def test_invoice_list_is_bounded_in_queries_and_filters(staff_client, invoices, django_assert_max_num_queries):
    # given
    Invoice.objects.filter(pk=invoices[0].pk).update(emailed_at=timezone.now())
    url = reverse("billing:invoice-list")
    # when
    with django_assert_max_num_queries(12):
        page = staff_client.get(url)
    sent = staff_client.get(url, {"email": "sent"})
    searched = staff_client.get(url, {"q": invoices[1].number})
    # then
    assert page.status_code == 200
    assert {i.number for i in page.context["page"].object_list} == {i.number for i in invoices}
    assert [i.number for i in sent.context["page"].object_list] == [invoices[0].number]
    assert [i.number for i in searched.context["page"].object_list] == [invoices[1].number]


def test_invoice_list_query_count_does_not_grow_with_rows(staff_client, invoices, django_assert_max_num_queries):
    store_with_legal_details()
    for _ in range(5):
        issue_invoice(order=placed_order())
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("billing:invoice-list"))
    assert len(response.context["page"].object_list) == 8


def test_detail_and_pdf_download(staff_client, invoices):
    invoice = invoices[0]
    detail = staff_client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    pdf = staff_client.get(reverse("billing:invoice-pdf", args=[invoice.number]) + "?download=1")
    assert detail.status_code == 200
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_pdf_needs_the_permission(client, invoices):
    client.force_login(UserFactory(role="Warehouse"))
    response = client.get(reverse("billing:invoice-pdf", args=[invoices[0].number]))
    assert response.status_code == 403


def test_resend_sends_the_invoice_again(staff_client, invoices, django_capture_on_commit_callbacks):
    # given
    invoice = invoices[0]
    Invoice.objects.filter(pk=invoice.pk).update(emailed_at=timezone.now())
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("billing:invoice-resend", args=[invoice.number]))
    # then
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    invoice.refresh_from_db()
    assert invoice.email_state == "sent"


def test_export_csv_and_totals_page_agree(staff_client):
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("100.00"), D("20.00")], tax_rates=[D("19.00"), D("7.00")])
    record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    refund_payment(order=order, amount=D("30.00"), reason="Late", by=UserFactory(role="Owner"))
    today = timezone.localdate()
    params = {"date_from": (today - datetime.timedelta(days=1)).isoformat(), "date_to": today.isoformat()}
    # when
    page = staff_client.get(reverse("billing:export"), params)
    csv_response = staff_client.get(reverse("billing:export"), {**params, "format": "csv"})
    # then
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert [r["Type"] for r in rows] == ["invoice", "credit_note", "payment", "refund"]
    journal = page.context["journal"]
    gross_docs = sum(D(r["Gross"]) for r in rows if r["Type"] in ("invoice", "credit_note"))
    received = sum(D(r["Gross"]) for r in rows if r["Type"] in ("payment", "refund"))
    assert journal.invoiced["gross"] == gross_docs == order.total_amount - D("30.00")
    assert journal.received == received == order.total_amount - D("30.00")
    assert sum(D(r["Net 19 %"] or 0) + D(r["Net 7 %"] or 0) for r in rows) == journal.invoiced["net"]
    assert str(journal.invoiced["gross"]) in page.content.decode().replace(",", "")


def test_export_refuses_a_backwards_range(staff_client):
    response = staff_client.get(reverse("billing:export"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["journal"] is None
    assert "before the start" in response.content.decode()


# The bulk ZIP and re-send run as background jobs: tests/billing/test_bulk_jobs.py.
