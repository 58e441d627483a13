"""The invoice e-mail: the PDF attached to an HTML + plain-text message, sent at most once.

``Invoice.emailed_at`` is checked and set under the invoice's row lock in the same
transaction as the send, so a task that runs twice (a redelivered message, a retry after a
crash) sends nothing more. A failure is written down (error, attempts) and re-raised so the
task retries with backoff; the back-office shows the state. ``email_queued_at`` is the
due state kept in the database: a beat task re-enqueues e-mails that were due but never
went (the broker was down when the task was published after commit).
"""

import datetime
from smtplib import SMTPException

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.exceptions import BillingError
from billing.models import Invoice
from billing.services.documents import render_invoice_pdf
from catalog.after_commit import on_commit_or_log
from orders.models import OrderEvent

# After this long without a send, a queued e-mail is considered lost and re-enqueued.
OVERDUE_AFTER = datetime.timedelta(minutes=10)
# Beyond this many attempts the beat task leaves the invoice to a person ("resend").
MAX_ATTEMPTS = 10


def _message(invoice: Invoice) -> EmailMultiAlternatives:
    order = invoice.order
    context = {
        "invoice": invoice,
        "is_credit_note": invoice.kind == Invoice.Kind.CREDIT_NOTE,
        "order": order,
        "seller": invoice.snapshot.get("seller", {}),
        "buyer": invoice.snapshot.get("buyer", {}),
        "store_name": invoice.snapshot.get("seller", {}).get("name") or settings.STORE_NAME,
        "tracking_url": settings.PUBLIC_BASE_URL.rstrip("/") + f"/track/{order.tracking_code}/",
    }
    subject = render_to_string("billing/email/invoice.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("billing/email/invoice.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string("billing/email/invoice.html", context), "text/html")
    with default_storage.open(invoice.pdf.name, "rb") as handle:
        message.attach(f"{invoice.number}.pdf", handle.read(), "application/pdf")
    return message


def send_invoice_email(*, invoice_id: int) -> bool:
    """Render the PDF if needed, then send it once. Returns False when there was nothing to send."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    if invoice.emailed_at or not invoice.order.email:
        return False
    render_invoice_pdf(invoice_id=invoice_id)  # slow, outside the lock; idempotent
    error: Exception | None = None
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice_id)
        if invoice.emailed_at:
            return False
        invoice.email_attempts += 1
        try:
            _message(invoice).send()
        except (SMTPException, OSError) as exc:
            error = exc
            invoice.email_error = f"{type(exc).__name__}: {exc}"[:300]
            invoice.save(update_fields=["email_attempts", "email_error"])
        else:
            invoice.emailed_at = timezone.now()
            invoice.email_error = ""
            invoice.save(update_fields=["email_attempts", "email_error", "emailed_at"])
            OrderEvent.objects.create(
                order=invoice.order,
                kind=OrderEvent.Kind.EMAIL_SENT,
                new_value=invoice.number,
                message=_("%(number)s e-mailed to %(email)s.")
                % {"number": invoice.number, "email": invoice.order.email},
            )
    if error is not None:
        raise error  # committed the failure state; the task retries with backoff
    return True


@transaction.atomic
def resend_invoice_email(*, invoice: Invoice, by=None) -> Invoice:
    """The back-office's "resend": send the stored PDF again, once more."""
    from billing.tasks import send_invoice_email as send_invoice_email_task

    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice.pk)
    if not invoice.order.email:
        raise BillingError(_("Order %(number)s has no e-mail address.") % {"number": invoice.order})
    invoice.emailed_at = None
    invoice.email_error = ""
    invoice.email_queued_at = timezone.now()
    invoice.save(update_fields=["emailed_at", "email_error", "email_queued_at"])
    OrderEvent.objects.create(
        order=invoice.order,
        kind=OrderEvent.Kind.NOTE,
        by=by,
        message=_("%(number)s queued to be e-mailed again.") % {"number": invoice.number},
    )
    on_commit_or_log(send_invoice_email_task.delay, invoice_id=invoice.pk)  # else the beat re-sends it
    return invoice


def list_overdue_invoice_emails(*, now=None):
    now = now or timezone.now()
    return Invoice.objects.filter(
        emailed_at__isnull=True,
        email_queued_at__lt=now - OVERDUE_AFTER,
        email_attempts__lt=MAX_ATTEMPTS,
    ).exclude(order__email="")


def resend_overdue_invoice_emails(*, now=None) -> int:
    """Beat: enqueue again every e-mail that is due but was never sent; returns how many."""
    from billing.tasks import send_invoice_email as send_invoice_email_task

    now = now or timezone.now()
    count = 0
    for invoice_id in list(list_overdue_invoice_emails(now=now).values_list("pk", flat=True)[:500]):
        # Move the due mark first so the next beat does not pile up the same invoice.
        Invoice.objects.filter(pk=invoice_id).update(email_queued_at=now)
        send_invoice_email_task.delay(invoice_id=invoice_id)
        count += 1
    return count
