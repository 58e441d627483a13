"""Bulk invoice actions as background jobs: the service, the task (eager), the pages."""

import io
import zipfile
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from billing.exceptions import BillingError
from billing.models import BulkJobStatus, Invoice, InvoiceBulkJob
from billing.services import bulk as bulk_service
from billing.services import issue_invoice, run_invoice_bulk_job, start_invoice_bulk_job
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoices():
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        return [issue_invoice(order=placed_order(prices=[D("10.00") * (i + 1)])) for i in range(3)]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="Staff"))
    return client


# --- the service -------------------------------------------------------------------------


def test_start_creates_the_job_and_enqueues_after_commit(invoices, django_capture_on_commit_callbacks):
    # given
    numbers = [invoices[2].number, invoices[0].number]
    # when
    with patch("billing.tasks.run_invoice_bulk_job.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = start_invoice_bulk_job(kind="zip", numbers=numbers, by=None)
        delay.assert_not_called()  # nothing before commit
        for callback in callbacks:
            callback()
    # then
    delay.assert_called_once_with(job_id=job.pk)
    assert job.status == BulkJobStatus.QUEUED
    assert job.total == 2 and job.done == 0
    assert sorted(job.invoice_ids) == sorted([invoices[0].pk, invoices[2].pk])


@pytest.mark.parametrize(
    ("kind", "numbers", "message"),
    [
        ("zip", [], "Select at least one invoice."),
        ("zip", ["", "  "], "Select at least one invoice."),
        ("burn", ["INV-1"], "Choose what to do"),
        ("zip", ["INV-2099-999999"], "No invoice with the number INV-2099-999999."),
    ],
)
def test_bad_selections_are_refused_and_change_nothing(invoices, kind, numbers, message):
    with pytest.raises(BillingError) as refused:
        start_invoice_bulk_job(kind=kind, numbers=numbers, by=None)
    assert message in refused.value.message
    assert not InvoiceBulkJob.objects.exists()


def test_a_selection_above_the_limit_is_refused(invoices, monkeypatch):
    monkeypatch.setattr(bulk_service, "MAX_SELECTION", 2)
    with pytest.raises(BillingError) as refused:
        start_invoice_bulk_job(kind="zip", numbers=[i.number for i in invoices], by=None)
    assert refused.value.message == "At most 2 invoices at once; 3 were selected."
    assert not InvoiceBulkJob.objects.exists()


def test_one_unknown_number_in_a_selection_refuses_it_all(invoices):
    with pytest.raises(BillingError) as refused:
        start_invoice_bulk_job(kind="resend", numbers=[invoices[0].number, "NOPE-1"], by=None)
    assert "NOPE-1" in refused.value.message
    assert not InvoiceBulkJob.objects.exists()


# --- the task, run eagerly ---------------------------------------------------------------


def test_zip_job_writes_one_archive_with_every_pdf(invoices, django_capture_on_commit_callbacks, monkeypatch):
    # given chunks of two, so progress moves more than once
    monkeypatch.setattr(bulk_service, "CHUNK_SIZE", 2)
    # when the task runs (eagerly, after commit)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_invoice_bulk_job(kind="zip", numbers=[i.number for i in invoices], by=None)
    # then
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE
    assert job.done == job.total == 3
    assert job.result_file == f"bulk/invoices-{job.pk}.zip"
    assert job.finished_at is not None
    with default_storage.open(job.result_file, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert sorted(archive.namelist()) == sorted(f"{i.number}.pdf" for i in invoices)
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    # no temporary file left beside it
    folder = default_storage.path("bulk")
    import os

    assert os.listdir(folder) == [f"invoices-{job.pk}.zip"]


def test_zip_job_run_twice_leaves_one_archive_and_renders_each_pdf_once(invoices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_invoice_bulk_job(kind="zip", numbers=[i.number for i in invoices], by=None)
    # the job row is put back to running (a redelivered message after a crash)
    InvoiceBulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    with patch("billing.services.documents.build_invoice_pdf") as build:
        run_invoice_bulk_job(job_id=job.pk)
    build.assert_not_called()  # the stored PDFs were reused
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.done == 3
    import os

    assert os.listdir(default_storage.path("bulk")) == [f"invoices-{job.pk}.zip"]


def test_a_finished_job_is_not_run_again(invoices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_invoice_bulk_job(kind="resend", numbers=[i.number for i in invoices], by=None)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        run_invoice_bulk_job(job_id=job.pk)
    assert len(mail.outbox) == sent == 3


def test_resend_job_sends_each_invoice_once_even_when_run_twice(
    invoices, django_capture_on_commit_callbacks, monkeypatch
):
    # given invoices already e-mailed once, and chunks of two
    monkeypatch.setattr(bulk_service, "CHUNK_SIZE", 2)
    Invoice.objects.update(emailed_at=timezone.now())
    user = UserFactory(role="Staff")
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="resend", numbers=[i.number for i in invoices], by=user)
    # when the task runs, then runs again as if redelivered mid-way (status put back)
    with django_capture_on_commit_callbacks(execute=True):
        run_invoice_bulk_job(job_id=job.pk)
    InvoiceBulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        run_invoice_bulk_job(job_id=job.pk)
    # then each invoice was e-mailed exactly once more
    assert len(mail.outbox) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.order.email for i in invoices)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.done == 3 and job.errors == []


def test_resend_job_resumes_after_the_last_finished_chunk(invoices, django_capture_on_commit_callbacks, monkeypatch):
    # given a job whose first chunk was done before the worker died
    monkeypatch.setattr(bulk_service, "CHUNK_SIZE", 1)
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="resend", numbers=[i.number for i in invoices], by=None)
    InvoiceBulkJob.objects.filter(pk=job.pk).update(done=1, status=BulkJobStatus.RUNNING)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        run_invoice_bulk_job(job_id=job.pk)
    # then only the two others were queued
    first = Invoice.objects.get(pk=job.invoice_ids[0])
    assert first.email_queued_at is None or first.email_queued_at < job.created_at
    assert len(mail.outbox) == 2


def test_resend_job_reports_invoices_without_an_address(invoices, django_capture_on_commit_callbacks):
    # given one order without an e-mail address
    order = invoices[1].order
    order.email = ""
    order.save(update_fields=["email"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        job = start_invoice_bulk_job(kind="resend", numbers=[i.number for i in invoices], by=None)
    # then the others went, this one is listed as a problem
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE
    assert len(mail.outbox) == 2
    assert [e["invoice"] for e in job.errors] == [invoices[1].number]
    assert "no e-mail address" in job.errors[0]["error"]


def test_a_crash_marks_the_job_failed_with_the_reason(invoices):
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="zip", numbers=[invoices[0].number], by=None)
    with (
        patch("billing.services.bulk.render_invoice_pdf", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        run_invoice_bulk_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.FAILED
    assert "disk full" in job.errors[-1]["error"]
    assert not default_storage.exists(f"bulk/invoices-{job.pk}.zip")


# --- the pages ---------------------------------------------------------------------------


def test_bulk_zip_from_the_list_goes_to_the_job_page_and_downloads(
    staff_client, invoices, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("billing:invoice-bulk"), {"action": "zip", "selected": [invoices[0].number, invoices[2].number]}
        )
    # then
    job = InvoiceBulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice-job", args=[job.pk])
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("billing:invoice-job-download", args=[job.pk]) in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]  # CSP: no inline script
    download = staff_client.get(reverse("billing:invoice-job-download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == sorted([f"{invoices[0].number}.pdf", f"{invoices[2].number}.pdf"])


def test_the_job_page_polls_while_running_and_refreshes_when_done(staff_client, invoices):
    # given a queued job (no worker yet)
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="zip", numbers=[i.number for i in invoices], by=None)
    url = reverse("billing:invoice-job", args=[job.pk])
    # when / then: the page polls the partial
    page = staff_client.get(url).content.decode()
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 1s"' in page
    assert "<progress" in page and 'max="3"' in page
    assert reverse("billing:invoice-job-download", args=[job.pk]) not in page
    partial = staff_client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "HX-Refresh" not in partial
    InvoiceBulkJob.objects.filter(pk=job.pk).update(done=2, status=BulkJobStatus.RUNNING)
    assert 'value="2"' in staff_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    # once finished the poll asks for the whole page again, which no longer polls
    run_invoice_bulk_job(job_id=job.pk)
    finished = staff_client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
    assert "hx-trigger" not in staff_client.get(url).content.decode()


def test_bulk_resend_from_the_list_queues_every_selected(staff_client, invoices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("billing:invoice-bulk"), {"action": "resend", "selected": [i.number for i in invoices]}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 3
    assert InvoiceBulkJob.objects.get().status == BulkJobStatus.DONE


def test_bulk_with_nothing_selected_says_so_and_starts_nothing(staff_client, invoices):
    response = staff_client.post(reverse("billing:invoice-bulk"), {"action": "zip"}, follow=True)
    assert response.status_code == 200
    assert "Select at least one invoice." in response.content.decode()
    assert not InvoiceBulkJob.objects.exists()


def test_bulk_with_an_unknown_number_says_so(staff_client, invoices):
    response = staff_client.post(
        reverse("billing:invoice-bulk"), {"action": "zip", "selected": ["<b>X</b>"]}, follow=True
    )
    html = response.content.decode()
    assert "No invoice with the number &lt;b&gt;X&lt;/b&gt;." in html
    assert not InvoiceBulkJob.objects.exists()


def test_the_download_of_an_unfinished_job_is_404(staff_client, invoices):
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="zip", numbers=[invoices[0].number], by=None)
    assert staff_client.get(reverse("billing:invoice-job-download", args=[job.pk])).status_code == 404
    assert staff_client.get(reverse("billing:invoice-job", args=[job.pk + 99])).status_code == 404


# --- permissions -------------------------------------------------------------------------


def test_warehouse_cannot_start_see_or_download_jobs(client, invoices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_invoice_bulk_job(kind="zip", numbers=[invoices[0].number], by=None)
    client.force_login(UserFactory(role="Warehouse"))
    assert (
        client.post(reverse("billing:invoice-bulk"), {"action": "zip", "selected": [invoices[0].number]}).status_code
        == 403
    )
    assert client.get(reverse("billing:invoice-job", args=[job.pk])).status_code == 403
    assert client.get(reverse("billing:invoice-job-download", args=[job.pk])).status_code == 403
    assert InvoiceBulkJob.objects.count() == 1


def test_resend_needs_the_permission_to_issue_invoices(client, invoices):
    # given a user who may view invoices but not issue them
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_invoice", content_type__app_label="billing"))
    client.force_login(user)
    # when
    refused = client.post(reverse("billing:invoice-bulk"), {"action": "resend", "selected": [invoices[0].number]})
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        allowed = client.post(reverse("billing:invoice-bulk"), {"action": "zip", "selected": [invoices[0].number]})
    # then
    assert refused.status_code == 403
    assert allowed.status_code == 302
    assert InvoiceBulkJob.objects.get().kind == "zip"


# --- the broker down when the job is started ------------------------------------------------


@pytest.mark.usefixtures("private_cache")
def test_a_job_started_while_the_broker_is_down_is_kept_and_the_beat_runs_it_once(
    staff_client, invoices, django_capture_on_commit_callbacks, caplog
):
    import datetime

    import time_machine
    from kombu.exceptions import OperationalError

    from billing.tasks import requeue_lost_bulk_jobs

    t0 = timezone.now()
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    numbers = [i.number for i in invoices]
    # given: the publish at commit is refused
    broker_down = patch("celery.app.task.Task.apply_async", side_effect=refused)
    with time_machine.travel(t0, tick=False), broker_down, django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("billing:invoice-bulk"), {"action": "resend", "selected": numbers})
    # then: the page answers as usual; the job is kept, queued
    job = InvoiceBulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:invoice-job", args=[job.pk])
    assert job.status == BulkJobStatus.QUEUED and mail.outbox == []
    assert "Connection refused" in caplog.text
    # when: the beat runs before the grace period, after it, and again
    with time_machine.travel(t0 + datetime.timedelta(minutes=2), tick=False):
        assert requeue_lost_bulk_jobs.delay().get() == 0
    with time_machine.travel(t0 + datetime.timedelta(minutes=6), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_lost_bulk_jobs.delay().get() == 1
        assert requeue_lost_bulk_jobs.delay().get() == 0
    # then: the job ran once, each invoice was sent once
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.done == 3
    assert len(mail.outbox) == 3
    # a finished job is not due again, even with the beat's throttle forgotten
    from django.core.cache import cache

    cache.clear()  # the test's own cache
    with time_machine.travel(t0 + datetime.timedelta(minutes=11), tick=False):
        assert requeue_lost_bulk_jobs.delay().get() == 0
