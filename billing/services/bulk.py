"""Bulk actions on selected invoices, run in the background with a progress bar.

``start_invoice_bulk_job`` checks the selection, writes an ``InvoiceBulkJob`` row and
enqueues the task after commit. ``run_invoice_bulk_job`` (the task's body) works through
the invoices in chunks and moves ``done`` after each chunk, so the page can show progress.

Safe to run twice (a redelivered message, a second worker):

- re-send: each chunk is one transaction that locks the job row, re-reads ``done`` and
  queues the chunk's e-mails through ``resend_invoice_email`` (itself at most once per
  queueing, ``Invoice.emailed_at`` under the invoice's lock); ``done`` moves in the same
  transaction, so a second run carries on after the last chunk and never queues an
  invoice twice.
- ZIP: the PDFs are rendered once (stored, skipped when they exist), the archive is written
  to a temporary name beside its final one and renamed into place, so a crash leaves no half
  ZIP and a second run replaces the same file.

A job still queued some minutes after it was started lost its publish (the broker was down at
commit): a beat task publishes it again (``requeue_lost_bulk_jobs``).
"""

import os
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.exceptions import BillingError
from billing.models import BulkJobKind, BulkJobStatus, Invoice, InvoiceBulkJob
from billing.services.documents import render_invoice_pdf
from billing.services.emails import resend_invoice_email
from catalog.after_commit import on_commit_or_log, republish

MAX_SELECTION = 500
CHUNK_SIZE = 20
# A job still queued this long after it was created is published again by the beat, for a day.
REQUEUE_AFTER = timedelta(minutes=5)
REQUEUE_WITHIN = timedelta(days=1)


def result_name(job: InvoiceBulkJob) -> str:
    return f"bulk/invoices-{job.pk}.zip"


@transaction.atomic
def start_invoice_bulk_job(*, kind: str, numbers: list[str], by=None) -> InvoiceBulkJob:
    """Check the selection and queue the job; refuses (``BillingError``) and writes nothing
    when the action is unknown, nothing is selected, too much is selected or a number is unknown."""
    from billing.tasks import run_invoice_bulk_job as run_invoice_bulk_job_task

    if kind not in BulkJobKind.values:
        raise BillingError(_("Choose what to do with the selected invoices."))
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not wanted:
        raise BillingError(_("Select at least one invoice."))
    if len(wanted) > MAX_SELECTION:
        raise BillingError(
            _("At most %(max)s invoices at once; %(count)s were selected.")
            % {"max": MAX_SELECTION, "count": len(wanted)}
        )
    found = dict(Invoice.objects.filter(number__in=wanted).values_list("number", "pk"))
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise BillingError(
            ngettext(
                "No invoice with the number %(numbers)s.", "No invoices with the numbers %(numbers)s.", len(unknown)
            )
            % {"numbers": ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")}
        )
    ids = [found[n] for n in sorted(wanted)]
    job = InvoiceBulkJob.objects.create(kind=kind, invoice_ids=ids, total=len(ids), created_by=by)
    on_commit_or_log(run_invoice_bulk_job_task.delay, job_id=job.pk)  # else the beat publishes it
    return job


def requeue_lost_bulk_jobs(*, now=None) -> int:
    """Beat: publish again the jobs still queued after ``REQUEUE_AFTER``; returns how many."""
    from billing.tasks import run_invoice_bulk_job as run_invoice_bulk_job_task

    now = now or timezone.now()
    lost = InvoiceBulkJob.objects.filter(
        status=BulkJobStatus.QUEUED, created_at__range=(now - REQUEUE_WITHIN, now - REQUEUE_AFTER)
    )
    return sum(
        republish(run_invoice_bulk_job_task.delay, key=f"invoice-bulk-job:{pk}", job_id=pk)
        for pk in lost.values_list("pk", flat=True)[:100]
    )


def run_invoice_bulk_job(*, job_id: int) -> InvoiceBulkJob:
    """Do the job's work (the Celery task's body). A finished job is left as it is."""
    job = InvoiceBulkJob.objects.get(pk=job_id)
    if job.is_finished:
        return job
    InvoiceBulkJob.objects.filter(pk=job_id, status=BulkJobStatus.QUEUED).update(status=BulkJobStatus.RUNNING)
    try:
        if job.kind == BulkJobKind.RESEND:
            _run_resend(job_id)
        else:
            _run_zip(job_id)
    except Exception as exc:
        InvoiceBulkJob.objects.filter(pk=job_id).update(
            status=BulkJobStatus.FAILED,
            finished_at=timezone.now(),
            errors=[*InvoiceBulkJob.objects.get(pk=job_id).errors, {"invoice": "", "error": _error_text(exc)}],
        )
        raise
    return InvoiceBulkJob.objects.get(pk=job_id)


def _error_text(exc: Exception) -> str:
    return (getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}")[:300]


def _run_resend(job_id: int) -> None:
    while True:
        with transaction.atomic():
            job = InvoiceBulkJob.objects.select_for_update().get(pk=job_id)
            chunk = job.invoice_ids[job.done : job.done + CHUNK_SIZE]
            if not chunk:
                job.status = BulkJobStatus.DONE
                job.finished_at = job.finished_at or timezone.now()
                job.save(update_fields=["status", "finished_at"])
                return
            invoices = Invoice.objects.in_bulk(chunk)
            for invoice_id in chunk:
                invoice = invoices.get(invoice_id)
                if invoice is None:
                    job.errors.append({"invoice": str(invoice_id), "error": _("The invoice no longer exists.")})
                    continue
                try:
                    resend_invoice_email(invoice=invoice, by=job.created_by)
                except BillingError as exc:
                    job.errors.append({"invoice": invoice.number, "error": exc.message})
            job.done += len(chunk)
            job.save(update_fields=["done", "errors"])


def _zip_target(name: str) -> Path:
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _run_zip(job_id: int) -> None:
    job = InvoiceBulkJob.objects.get(pk=job_id)
    name = result_name(job)
    target = _zip_target(name)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    errors: list[dict] = []
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            ids = job.invoice_ids
            for start in range(0, len(ids), CHUNK_SIZE):
                chunk = ids[start : start + CHUNK_SIZE]
                present = set(Invoice.objects.filter(pk__in=chunk).values_list("pk", flat=True))
                for invoice_id in chunk:
                    if invoice_id not in present:
                        errors.append({"invoice": str(invoice_id), "error": _("The invoice no longer exists.")})
                        continue
                    invoice = render_invoice_pdf(invoice_id=invoice_id)  # stored once, reused
                    with default_storage.open(invoice.pdf.name, "rb") as pdf:
                        archive.writestr(f"{invoice.number}.pdf", pdf.read())
                # A second run starts the archive again, so progress may step back: never past total.
                InvoiceBulkJob.objects.filter(pk=job_id).update(done=start + len(chunk))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    InvoiceBulkJob.objects.filter(pk=job_id).update(
        status=BulkJobStatus.DONE,
        done=len(job.invoice_ids),
        result_file=name,
        errors=errors,
        finished_at=timezone.now(),
    )


def open_bulk_result(*, job: InvoiceBulkJob):
    """The finished ZIP, opened for reading; ``BillingError`` when there is none (yet)."""
    if job.kind != BulkJobKind.ZIP or job.status != BulkJobStatus.DONE or not job.result_file:
        raise BillingError(_("This job has no ZIP to download yet."))
    if not default_storage.exists(job.result_file):
        raise BillingError(_("The ZIP of this job is no longer stored; start the download again."))
    return default_storage.open(job.result_file, "rb")
