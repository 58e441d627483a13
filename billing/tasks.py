"""Billing's Celery tasks: thin wrappers that fetch by id and call a service.

Safe to run twice: the PDF is skipped when it exists, the e-mail is sent at most once
(``Invoice.emailed_at`` checked and set under the invoice's row lock).
"""

from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def render_invoice_pdf(invoice_id: int) -> str:
    from billing.services import render_invoice_pdf as render

    return render(invoice_id=invoice_id).pdf.name


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=8)
def send_invoice_email(invoice_id: int) -> bool:
    from billing.services import send_invoice_email as send

    return send(invoice_id=invoice_id)


@shared_task
def resend_overdue_invoice_emails() -> int:
    """Beat: re-enqueue invoice e-mails whose task never ran (the broker was down at publish)."""
    from billing.services import resend_overdue_invoice_emails as resend

    return resend()


@shared_task
def process_unpaid_orders() -> dict:
    """Beat: remind a day before the payment deadline, cancel unpaid orders after it."""
    from billing.services import process_unpaid_orders as process

    return process()


@shared_task
def run_invoice_bulk_job(job_id: int) -> str:
    """A bulk ZIP or re-send of selected invoices; safe to run twice (see billing.services.bulk)."""
    from billing.services import run_invoice_bulk_job as run

    return run(job_id=job_id).status


@shared_task
def requeue_lost_bulk_jobs() -> int:
    """Beat: publish again bulk jobs still queued minutes after they were started (broker down at commit)."""
    from billing.services.bulk import requeue_lost_bulk_jobs as requeue

    return requeue()
