"""Importing a marketplace's CSV export: preview with per-row errors, then all-or-nothing per order."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config import roles
from inventory.models import StockLevel
from orders.models import Customer, Order, OrderImport, OrderImportStatus
from shipping.services.order_import import (
    COLUMNS,
    ImportFileError,
    check_order_file,
    create_order_import,
    run_order_import,
    start_order_import,
)
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory
from tests.shipping.factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def row(reference, sku, quantity, *, channel="marketplace", email="ada@example.com", name="Ada Lovelace", **kw):
    values = {
        "external_reference": reference,
        "channel": channel,
        "email": email,
        "name": name,
        "line1": "Geheimweg 7",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "shipping_method": "dhl",
        "sku": sku,
        "quantity": str(quantity),
        **kw,
    }
    return ",".join(values.get(column, "") for column in COLUMNS)


def csv_bytes(*rows) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def shop():
    channel = ChannelFactory(code="marketplace")
    location = LocationFactory(code="warehouse")
    ShippingMethodFactory(code="dhl", price_amount=Decimal("4.90"))
    tee = stocked_variant(channel=channel, location=location, on_hand=10, sku="TEE", price=Decimal("20.00"))
    mug = stocked_variant(channel=channel, location=location, on_hand=1, sku="MUG", price=Decimal("8.00"))
    return {"channel": channel, "tee": tee, "mug": mug, "owner": UserFactory(role=roles.OWNER)}


def _import(raw: bytes, by):
    job = create_order_import(filename="export.csv", raw=raw, by=by)
    start_order_import(job=job, by=by)
    run_order_import(job_id=job.pk)
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------------------
# The preview
# ------------------------------------------------------------------------------
def test_the_preview_lists_every_bad_row_and_writes_no_order(shop):
    # given
    raw = csv_bytes(
        row("MP-1", "TEE", 2),
        row("MP-1", "MUG", 1),
        row("MP-2", "NOPE", 1),
        row("MP-3", "TEE", "two"),
        row("MP-4", "TEE", 1, channel="ebay"),
        row("MP-5", "TEE", 1, country="Germany"),
        row("MP-6", "TEE", 1, name=""),
        row("MP-7", "TEE", 0),
    )
    # when
    job = create_order_import(filename="export.csv", raw=raw, by=shop["owner"])
    # then
    outcomes = {o["reference"]: o["outcome"] for o in job.preview["orders"]}
    assert outcomes == {
        "MP-1": "ready",
        "MP-2": "refused",
        "MP-3": "refused",
        "MP-4": "refused",
        "MP-5": "refused",
        "MP-6": "refused",
        "MP-7": "refused",
    }
    errors = {o["reference"]: o["errors"][0] for o in job.preview["orders"] if o["errors"]}
    assert errors["MP-2"]["line"] == 4 and "unknown SKU “NOPE”" in errors["MP-2"]["message"]
    assert "not a whole number" in errors["MP-3"]["message"]
    assert "unknown channel “ebay”" in errors["MP-4"]["message"]
    assert "two-letter" in errors["MP-5"]["message"]
    assert "name is empty" in errors["MP-6"]["message"]
    assert "between 1 and" in errors["MP-7"]["message"]
    assert job.preview["counts"] == {"ready": 1, "refused": 6, "skipped": 0}
    assert job.status == OrderImportStatus.PREVIEW
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_a_sku_the_channel_does_not_sell_is_refused_in_the_preview(shop):
    other = ChannelFactory(code="web")
    stocked_variant(channel=other, location=LocationFactory(code="warehouse"), sku="WEB-ONLY")
    planned = check_order_file(text=csv_bytes(row("MP-1", "WEB-ONLY", 1)).decode())
    assert planned[0].outcome == "refused"
    assert "WEB-ONLY is not sold on Marketplace" in planned[0].errors[0]["message"]


def test_rows_of_one_order_must_agree_on_the_order_columns(shop):
    planned = check_order_file(
        text=csv_bytes(row("MP-1", "TEE", 1), row("MP-1", "MUG", 1, email="bob@example.com")).decode()
    )
    assert planned[0].outcome == "refused"
    assert "email differ from line 2" in planned[0].errors[0]["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "not a CSV"),
        (b"sku;quantity\nTEE;1\n", "missing: external_reference, channel, name"),
        ((HEADER + "\n").encode(), "no rows"),
        (b"\xff\xfe" + "caf\u00e9".encode("latin-1"), "not UTF-8"),
        (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_a_reason(shop, raw, message):
    with pytest.raises(ImportFileError) as error:
        create_order_import(filename="export.csv", raw=raw, by=shop["owner"])
    assert message in error.value.message
    assert not OrderImport.objects.exists()


# ------------------------------------------------------------------------------
# The import
# ------------------------------------------------------------------------------
def test_the_import_places_good_orders_whole_refuses_the_rest_and_reports(shop):
    # given: MP-1 fits; MP-2 wants 2 mugs of the 1 there (refused whole: its tee is not reserved either);
    # MP-3 has an unknown SKU
    known = CustomerFactory(email="grace@example.com")
    raw = csv_bytes(
        row("MP-1", "TEE", 2),
        row("MP-1", "MUG", 1),
        row("MP-2", "TEE", 1, email="grace@example.com", name="Grace Hopper"),
        row("MP-2", "MUG", 2, email="grace@example.com", name="Grace Hopper"),
        row("MP-3", "NOPE", 1, email="bob@example.com", name="Bob"),
    )
    # when: the mug is gone by the time MP-2 is placed
    job = _import(raw, shop["owner"])
    # then
    assert job.status == OrderImportStatus.DONE
    assert (job.done, job.total) == (3, 3)
    report = {r["reference"]: r for r in job.results}
    assert report["MP-1"]["outcome"] == "imported"
    assert report["MP-2"]["outcome"] == "refused" and "MUG" in report["MP-2"]["reason"]
    assert report["MP-3"]["outcome"] == "refused" and "unknown SKU" in report["MP-3"]["reason"]
    order = Order.objects.get()
    assert order.number == report["MP-1"]["number"]
    assert order.external_reference == "MP-1" and order.channel == shop["channel"]
    assert sorted(order.lines.values_list("sku", "quantity")) == [("MUG", 1), ("TEE", 2)]
    assert order.shipping_amount == Decimal("4.90")
    assert order.shipping_address["country"] == "DE"
    assert order.customer.email == "ada@example.com"  # created
    assert not Order.objects.filter(customer=known).exists()
    assert StockLevel.objects.get(variant=shop["tee"]).reserved == 2  # nothing held for MP-2
    assert job.counts() == {"imported": 1, "refused": 2, "skipped": 0}


def test_an_existing_customer_is_matched_by_email(shop):
    known = CustomerFactory(email="grace@example.com")
    _import(csv_bytes(row("MP-9", "TEE", 1, email="Grace@Example.com", name="Grace Hopper")), shop["owner"])
    assert Order.objects.get().customer == known
    assert Customer.objects.count() == 1


def test_references_already_imported_are_skipped(shop):
    # given
    raw = csv_bytes(row("MP-1", "TEE", 1))
    first = _import(raw, shop["owner"])
    # when the same file comes again
    again = create_order_import(filename="export.csv", raw=raw, by=shop["owner"])
    # then
    assert again.preview["orders"][0]["outcome"] == "skipped"
    assert again.preview["counts"]["ready"] == 0
    with pytest.raises(ImportFileError):
        start_order_import(job=again, by=shop["owner"])
    # and a file with the old and a new reference imports only the new one
    mixed = _import(csv_bytes(row("MP-1", "TEE", 1), row("MP-2", "TEE", 1)), shop["owner"])
    assert [(r["reference"], r["outcome"]) for r in mixed.results] == [("MP-1", "skipped"), ("MP-2", "imported")]
    assert mixed.results[0]["number"] == first.results[0]["number"]
    assert Order.objects.count() == 2


def test_a_job_runs_once(shop):
    job = create_order_import(filename="export.csv", raw=csv_bytes(row("MP-1", "TEE", 1)), by=shop["owner"])
    start_order_import(job=job, by=shop["owner"])  # eager: the task ran after commit? (no commit in tests)
    run_order_import(job_id=job.pk)
    assert run_order_import(job_id=job.pk) is None
    with pytest.raises(ImportFileError):
        start_order_import(job=job, by=shop["owner"])
    assert Order.objects.count() == 1


def test_a_pickup_order_needs_no_address(shop):
    LocationFactory(code="shop", is_pickup_point=True)
    ShippingMethodFactory(code="pickup", kind="pickup", price_amount=Decimal("0"))
    raw = csv_bytes(
        row("MP-5", "TEE", 1, shipping_method="pickup", pickup_location="shop", line1="", city="", postal_code="")
    )
    job = _import(raw, shop["owner"])
    assert job.results[0]["outcome"] == "imported"
    assert Order.objects.get().pickup_location.code == "shop"


# ------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "status"), [(roles.OWNER, 200), (roles.STAFF, 200), (roles.WAREHOUSE, 403)])
def test_who_may_import(client, shop, role, status):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("orders:order-import")).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("orders:order-import"))
    assert response.status_code == 302 and "/login/" in response.url


def test_upload_preview_confirm_progress_and_report_through_the_pages(client, shop, django_capture_on_commit_callbacks):
    # given
    client.force_login(UserFactory(role=roles.STAFF))
    upload = SimpleUploadedFile("export.csv", csv_bytes(row("MP-1", "TEE", 1), row("MP-2", "NOPE", 1)))
    # when: upload
    response = client.post(reverse("orders:order-import"), {"file": upload})
    job = OrderImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:order-import-detail", args=[job.pk])
    page = client.get(response.url)
    assert "will be imported" in page.content.decode() and "unknown SKU" in page.content.decode()
    assert not Order.objects.exists()
    # when: confirm (the task runs after commit, eagerly here)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:order-import-confirm", args=[job.pk]))
    # then: the status partial says finished and asks htmx to reload; the page shows the report
    status = client.get(reverse("orders:order-import-status", args=[job.pk]), headers={"HX-Request": "true"})
    assert status["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in status.content.decode()
    report = client.get(reverse("orders:order-import-detail", args=[job.pk])).content.decode()
    assert "1 imported, 1 refused, 0 skipped." in report
    assert Order.objects.get().external_reference == "MP-1"


def test_the_status_partial_polls_while_running(client, shop):
    client.force_login(UserFactory(role=roles.OWNER))
    job = create_order_import(filename="export.csv", raw=csv_bytes(row("MP-1", "TEE", 1)), by=None)
    OrderImport.objects.filter(pk=job.pk).update(status=OrderImportStatus.RUNNING)
    response = client.get(reverse("orders:order-import-status", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "<script" not in response.content.decode() and "style=" not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.xlsx", b"PK\x03\x04binary", "Upload a .csv file"),
        ("orders.csv", b"", "empty"),
        ("orders.csv", b"\x00\x01\x02binary", "not a CSV"),
        ("orders.csv", b"a" * (2 * 1024 * 1024 + 10), "larger than 2 MB"),
        ("orders.csv", b"sku,quantity\nTEE,1\n", "missing"),
    ],
)
def test_bad_uploads_get_a_clear_message_and_write_nothing(client, shop, name, content, message):
    client.force_login(UserFactory(role=roles.OWNER))
    response = client.post(reverse("orders:order-import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OrderImport.objects.exists() and not Order.objects.exists()


def test_no_file_at_all(client, shop):
    client.force_login(UserFactory(role=roles.OWNER))
    response = client.post(reverse("orders:order-import"), {})
    assert response.status_code == 400
    assert not OrderImport.objects.exists()


@pytest.mark.usefixtures("private_cache")
def test_an_import_confirmed_while_the_broker_is_down_is_kept_and_the_beat_runs_it_once(
    client, shop, django_capture_on_commit_callbacks, caplog
):
    import datetime
    from unittest.mock import patch

    import time_machine
    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from shipping.services.order_import import requeue_lost_order_imports

    t0 = timezone.now()
    client.force_login(UserFactory(role=roles.STAFF))
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with time_machine.travel(t0, tick=False):
        client.post(
            reverse("orders:order-import"), {"file": SimpleUploadedFile("e.csv", csv_bytes(row("MP-1", "TEE", 1)))}
        )
        job = OrderImport.objects.get()
        # when: the confirmation's publish is refused at commit
        broker_down = patch("celery.app.task.Task.apply_async", side_effect=refused)
        with broker_down, django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("orders:order-import-confirm", args=[job.pk]))
    # then: the page answers as usual, the job is kept queued, no order yet
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == OrderImportStatus.QUEUED and not Order.objects.exists()
    assert "Connection refused" in caplog.text
    # the beat: nothing before the grace period; then the job, once
    assert requeue_lost_order_imports(now=t0 + datetime.timedelta(minutes=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_lost_order_imports(now=t0 + datetime.timedelta(minutes=6)) == 1
    assert requeue_lost_order_imports(now=t0 + datetime.timedelta(minutes=7)) == 0
    job.refresh_from_db()
    assert job.status == OrderImportStatus.DONE and Order.objects.get().external_reference == "MP-1"
    # a publish that did get through runs nothing more: the run claims the job
    assert run_order_import(job_id=job.pk) is None
    assert Order.objects.count() == 1
