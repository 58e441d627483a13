import datetime
from decimal import Decimal
from smtplib import SMTPServerDisconnected
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from billing import tasks
from billing.models import Invoice
from billing.services import issue_invoice, list_overdue_invoice_emails, record_payment
from tests.billing.factories import placed_order, store_with_legal_details

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoice():
    store_with_legal_details()
    return issue_invoice(order=placed_order(prices=[D("42.00")]))


def test_paying_enqueues_the_email_after_commit_with_the_pdf(django_capture_on_commit_callbacks):
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("42.00")])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    # then
    invoice = order.invoices.get()
    assert invoice.emailed_at is not None
    assert invoice.email_state == "sent"
    assert invoice.status == Invoice.Status.READY
    (message,) = mail.outbox
    assert message.to == [order.email]
    assert invoice.number in message.subject
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert message.attachments[0][1].startswith(b"%PDF")
    assert message.alternatives[0][1] == "text/html"


def test_the_task_run_twice_sends_one_email(invoice):
    # when
    first = tasks.send_invoice_email.delay(invoice_id=invoice.pk).get()
    second = tasks.send_invoice_email.delay(invoice_id=invoice.pk).get()
    # then
    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1


def test_smtp_down_then_up_retries_and_the_state_shows_it(invoice):
    # given: the first attempt fails
    real_send = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(1)
        if len(calls) == 1:
            raise SMTPServerDisconnected("connection refused")
        return real_send(self, messages)

    # when
    with patch.object(EmailBackend, "send_messages", flaky):
        with pytest.raises(SMTPServerDisconnected):
            tasks.send_invoice_email.apply(kwargs={"invoice_id": invoice.pk}, throw=True, retries=8)
        invoice.refresh_from_db()
        failed_state = (invoice.email_state, invoice.email_error, invoice.email_attempts)
        tasks.send_invoice_email.apply(kwargs={"invoice_id": invoice.pk}, throw=True)
    # then
    assert failed_state == ("failed", "SMTPServerDisconnected: connection refused", 1)
    invoice.refresh_from_db()
    assert invoice.email_state == "sent"
    assert invoice.email_attempts == 2
    assert invoice.email_error == ""
    assert len(mail.outbox) == 1


def test_beat_resends_emails_that_never_left(invoice):
    # given: the publish after commit was lost (broker down), the due mark is old
    Invoice.objects.filter(pk=invoice.pk).update(email_queued_at=timezone.now() - datetime.timedelta(hours=1))
    assert list(list_overdue_invoice_emails()) == [invoice]
    # when
    count = tasks.resend_overdue_invoice_emails.delay().get()
    # then
    assert count == 1
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    assert len(mail.outbox) == 1
    assert not list_overdue_invoice_emails()


def test_render_task_is_idempotent(invoice):
    first = tasks.render_invoice_pdf.delay(invoice_id=invoice.pk).get()
    second = tasks.render_invoice_pdf.delay(invoice_id=invoice.pk).get()
    assert first == second == f"invoices/{invoice.year}/{invoice.number}.pdf"
