import json
from unittest.mock import patch

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from shipping.models import CarrierHandoff
from shipping.services import create_shipment, mark_shipped
from shipping.services.handoff import hand_off_shipment, write_daily_manifests
from shipping.services.tracking_updates import sign
from tests.shipping.factories import CarrierAccountFactory, placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _shipped(warehouse, carrier="DHL", tracking_number="JD0001"):
    order = placed_order(quantities=(2,), location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 2)])
    return mark_shipped(shipment=shipment, carrier=carrier, tracking_number=tracking_number)


def test_manifest_lists_the_days_shipments_once(warehouse):
    # given
    CarrierAccountFactory(kind="manifest")
    one = _shipped(warehouse)
    two = _shipped(warehouse, tracking_number="JD0002")
    _shipped(warehouse, carrier="UPS", tracking_number="1Z0001")  # another carrier: not on DHL's manifest
    # when
    names = write_daily_manifests(day=timezone.localdate())
    again = write_daily_manifests(day=timezone.localdate())
    # then
    assert len(names) == 1 and again == []
    text = default_storage.open(names[0]).read().decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("shipment,order,tracking_number")
    assert len(lines) == 3
    assert "JD0001" in text and "JD0002" in text and "1Z0001" not in text
    assert "Geheimweg 7" in text
    assert set(CarrierHandoff.objects.values_list("shipment_id", flat=True)) == {one.pk, two.pk}


def test_webhook_carrier_gets_the_shipment_posted_once_after_commit(warehouse, django_capture_on_commit_callbacks):
    # given
    carrier = CarrierAccountFactory(kind="webhook", endpoint_url="https://carrier.example/api/shipments")
    order = placed_order(quantities=(1,), location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with patch("shipping.services.handoff._post", return_value='{"tracking_number": "CARRIER123"}') as post:
        # when
        with django_capture_on_commit_callbacks(execute=True):
            mark_shipped(shipment=shipment, carrier="DHL")
        again = hand_off_shipment(shipment_id=shipment.pk)
    # then
    assert post.call_count == 1 and again is False
    url, body, headers = post.call_args.args
    assert url == carrier.endpoint_url
    assert headers["X-Backroom-Signature"] == sign(secret=carrier.secret, body=body)
    payload = json.loads(body)
    assert payload["order_number"] == order.number and payload["units"] == 1
    assert "email" not in body.decode() and "ada@example.com" not in body.decode()
    shipment.refresh_from_db()
    assert shipment.tracking_number == "CARRIER123"
    assert CarrierHandoff.objects.get(shipment=shipment).sent_at is not None


def test_a_network_error_raises_for_the_retry_and_records_nothing(warehouse):
    CarrierAccountFactory(kind="webhook", endpoint_url="https://carrier.example/api/shipments")
    with patch("shipping.services.handoff._post", side_effect=OSError("connection refused")):
        shipment = _shipped(warehouse)
        with pytest.raises(OSError):
            hand_off_shipment(shipment_id=shipment.pk)
    assert not CarrierHandoff.objects.exists()


def test_the_task_retries_on_network_errors():
    from shipping.tasks import hand_off_shipment as task

    assert OSError in task.autoretry_for and task.max_retries >= 3


def test_beat_schedules_the_daily_manifest(settings):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "shipping.tasks.write_daily_manifests" in entries
