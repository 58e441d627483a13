"""A real Celery worker on Redis runs a bulk ZIP job: the progress row reaches done and the
archive holds every selected PDF (the page's download serves the same file)."""

import io
import time
import uuid
import zipfile
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from billing.models import BulkJobStatus, InvoiceBulkJob
from billing.services import issue_invoice, start_invoice_bulk_job
from billing.tasks import run_invoice_bulk_job
from tests.billing.factories import placed_order, store_with_legal_details
from tests.integration.test_celery_worker import celery_worker, worker_env
from tests.integration.test_invoice_email_worker import _database_url


@pytest.mark.services
@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_worker_builds_the_bulk_zip(tmp_path, settings):
    # given three issued invoices and a queued job, committed; a queue of our own
    assert connection.vendor == "postgresql"
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        invoices = [issue_invoice(order=placed_order(prices=[Decimal("12.00") * (i + 1)])) for i in range(3)]
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="zip", numbers=[i.number for i in invoices], by=None)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = worker_env(DATABASE_URL=_database_url(), MEDIA_ROOT=settings.MEDIA_ROOT)
    log = tmp_path / "worker.log"
    with celery_worker(env=env, queue=queue, log_path=log) as worker:
        # when
        run_invoice_bulk_job.apply_async(kwargs={"job_id": job.pk}, queue=queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.3)
        assert worker.poll() is None, log.read_text()
    # then
    assert job.status == BulkJobStatus.DONE, (job.errors, log.read_text()[-2000:])
    assert job.done == job.total == 3
    with default_storage.open(job.result_file, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert sorted(archive.namelist()) == sorted(f"{i.number}.pdf" for i in invoices)
    assert InvoiceBulkJob.objects.count() == 1
