"""A real Celery worker on Redis e-mails the invoice PDF to a real SMTP server on loopback.

The worker is a separate process: it reads the test database (``transaction=True`` so the
rows are committed, and its ``DATABASE_URL`` names the test database) and writes the PDF
under the same ``MEDIA_ROOT``. The SMTP server (aiosmtpd) starts only after the first
attempt has failed, so the e-mail arrives after a retry, and the invoice shows it.
"""

import io
import socket
import time
import uuid
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from unittest.mock import patch

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from pypdf import PdfReader

from billing.models import Invoice
from billing.services import issue_invoice
from billing.tasks import send_invoice_email
from tests.billing.factories import placed_order, store_with_legal_details
from tests.integration.test_celery_worker import celery_worker, worker_env


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.services
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_worker_emails_the_invoice_pdf_after_smtp_comes_back(tmp_path, settings):
    # given an issued invoice, committed; its own queue so no other worker answers
    assert connection.vendor == "postgresql"
    store_with_legal_details()
    order = placed_order(prices=[Decimal("42.00"), Decimal("8.50")])
    with patch("billing.services.invoices._enqueue_delivery"):
        invoice = issue_invoice(order=order)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    port = _free_port()
    env = worker_env(
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=settings.MEDIA_ROOT,
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
    )
    log = tmp_path / "worker.log"
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    with celery_worker(env=env, queue=queue, log_path=log) as worker:
        # when the task runs while SMTP is down …
        send_invoice_email.apply_async(kwargs={"invoice_id": invoice.pk}, queue=queue)
        _wait(lambda: Invoice.objects.get(pk=invoice.pk).email_error, timeout=60, what="a failed attempt")
        failed = Invoice.objects.get(pk=invoice.pk)
        # … and SMTP comes back
        controller.start()
        try:
            _wait(lambda: inbox.messages, timeout=90, what="the e-mail")
            _wait(lambda: Invoice.objects.get(pk=invoice.pk).emailed_at, timeout=30, what="the sent state")
        finally:
            controller.stop()
        assert worker.poll() is None, log.read_text()
    # then the failure was shown, then the success
    assert failed.email_state == "failed"
    assert "Connection" in failed.email_error or "refused" in failed.email_error.lower()
    invoice.refresh_from_db()
    assert invoice.email_state == "sent"
    assert invoice.email_attempts >= 2
    assert invoice.status == Invoice.Status.READY
    (message,) = inbox.messages
    assert message["To"] == order.email
    assert invoice.number in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= set(parts)
    pdf = PdfReader(io.BytesIO(parts["application/pdf"].get_payload(decode=True)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert invoice.number in text
    assert "Ada Lovelace" in text
    assert "€60.10" in text  # (42.00 + 8.50) × 1.19
