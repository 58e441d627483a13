"""The bulk job page writes its start time as the other pages do ("28 Nov 2026, 20:48")."""

from datetime import datetime
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.models import InvoiceBulkJob
from billing.services import issue_invoice, start_invoice_bulk_job
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_start_time_reads_day_month_year_and_24_hour_time(client, settings):
    # given
    settings.TIME_ZONE = "Europe/Berlin"
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        invoice = issue_invoice(order=placed_order())
    with patch("billing.tasks.run_invoice_bulk_job.delay"):
        job = start_invoice_bulk_job(kind="zip", numbers=[invoice.number], by=None)
    started = datetime(2026, 11, 28, 20, 48, tzinfo=ZoneInfo("Europe/Berlin"))
    InvoiceBulkJob.objects.filter(pk=job.pk).update(created_at=started)
    client.force_login(UserFactory(role="Staff"))
    # when
    html = client.get(reverse("billing:invoice-job", args=[job.pk])).content.decode()
    # then
    assert "started 28 Nov 2026, 20:48" in html
    assert "p.m." not in html and "Nov." not in html
