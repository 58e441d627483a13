import json

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import FulfilmentStatus
from shipping.exceptions import ShippingError
from shipping.models import ShipmentStatus, TrackingEvent
from shipping.services import create_shipment, mark_shipped
from shipping.services.tracking_updates import import_tracking_events, sign
from tests.shipping.factories import CarrierAccountFactory, placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(warehouse):
    order = placed_order(quantities=(1,), location=warehouse)
    return mark_shipped(
        shipment=create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)]),
        carrier="DHL",
        tracking_number="JD0001",
    )


def _body(*events):
    return json.dumps({"events": list(events)}).encode()


def _post(client, body, signature, code="dhl"):
    return client.post(
        reverse("shipping:carrier-webhook", args=[code]),
        data=body,
        content_type="application/json",
        headers={"X-Backroom-Signature": signature},
    )


def test_webhook_with_a_good_signature_moves_the_shipment(client, shipment):
    # given
    carrier = CarrierAccountFactory()
    body = _body(
        {
            "tracking_number": "JD0001",
            "status": "in_transit",
            "occurred_at": "2026-11-02T08:00:00+01:00",
            "external_id": "ev-1",
            "place": "Leipzig",
        },
        {
            "tracking_number": "JD0001",
            "status": "delivered",
            "occurred_at": "2026-11-03T10:00:00+01:00",
            "external_id": "ev-2",
        },
    )
    # when
    response = _post(client, body, sign(secret=carrier.secret, body=body))
    # then
    assert response.status_code == 200
    assert response.json()["recorded"] == 2
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert set(shipment.events.values_list("source", flat=True)) == {"webhook"}
    shipment.order.refresh_from_db()
    assert shipment.order.fulfilment_status == FulfilmentStatus.DELIVERED


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha256=" + "a" * 64])
def test_webhook_with_a_bad_signature_gets_401_and_changes_nothing(client, shipment, signature):
    # given
    CarrierAccountFactory()
    body = _body({"tracking_number": "JD0001", "status": "delivered", "occurred_at": "2026-11-03T10:00:00Z"})
    # when
    response = _post(client, body, signature)
    # then
    assert response.status_code == 401
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED
    assert not TrackingEvent.objects.exists()


def test_webhook_signed_with_another_carriers_secret_is_refused(client, shipment):
    CarrierAccountFactory()
    body = _body({"tracking_number": "JD0001", "status": "delivered", "occurred_at": "2026-11-03T10:00:00Z"})
    response = _post(client, body, sign(secret="other", body=body))
    assert response.status_code == 401
    assert not TrackingEvent.objects.exists()


def test_a_replayed_webhook_records_nothing_more(client, shipment):
    # given
    carrier = CarrierAccountFactory()
    body = _body(
        {
            "tracking_number": "JD0001",
            "status": "in_transit",
            "occurred_at": "2026-11-02T08:00:00Z",
            "external_id": "e1",
        }
    )
    signature = sign(secret=carrier.secret, body=body)
    _post(client, body, signature)
    # when
    again = _post(client, body, signature)
    # then
    assert again.status_code == 200 and again.json() == {"recorded": 0, "ignored": 1, "unknown": [], "errors": []}
    assert TrackingEvent.objects.count() == 1


def test_out_of_order_events_in_one_batch_are_applied_in_time_order(client, shipment):
    carrier = CarrierAccountFactory()
    body = _body(
        {"tracking_number": "JD0001", "status": "delivered", "occurred_at": "2026-11-03T10:00:00Z", "external_id": "b"},
        {
            "tracking_number": "JD0001",
            "status": "in_transit",
            "occurred_at": "2026-11-02T08:00:00Z",
            "external_id": "a",
        },
    )
    _post(client, body, sign(secret=carrier.secret, body=body))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.events.count() == 2


def test_malformed_body_is_400_and_changes_nothing(client, shipment):
    carrier = CarrierAccountFactory()
    body = _body({"tracking_number": "JD0001", "status": "teleported", "occurred_at": "2026-11-03T10:00:00Z"})
    response = _post(client, body, sign(secret=carrier.secret, body=body))
    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()


def test_unknown_carrier_is_404_and_get_is_not_allowed(client):
    assert _post(client, b"{}", "x", code="nobody").status_code == 404
    assert client.get(reverse("shipping:carrier-webhook", args=["dhl"])).status_code == 405


def test_unknown_tracking_numbers_are_reported_not_refused(client, shipment):
    carrier = CarrierAccountFactory()
    body = _body({"tracking_number": "NOPE1", "status": "in_transit", "occurred_at": "2026-11-02T08:00:00Z"})
    response = _post(client, body, sign(secret=carrier.secret, body=body))
    assert response.json()["unknown"] == ["NOPE1"]


# --- CSV --------------------------------------------------------------------------------------------------


def test_csv_import_records_events_and_a_second_import_changes_nothing(shipment):
    # given
    text = (
        "tracking_number;status;occurred_at;external_id;place\n"
        "JD0001;in_transit;2026-11-02T08:00:00+01:00;c1;Leipzig\n"
        "JD0001;out_for_delivery;2026-11-03T07:00:00+01:00;c2;Berlin\n"
    )
    # when
    first = import_tracking_events(text=text)
    second = import_tracking_events(text=text)
    # then
    assert (first.recorded, first.ignored) == (2, 0)
    assert (second.recorded, second.ignored) == (0, 2)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.OUT_FOR_DELIVERY
    assert set(shipment.events.values_list("source", flat=True)) == {"csv"}


def test_csv_with_a_bad_row_is_refused_whole_and_names_the_line(shipment):
    text = "tracking_number,status,occurred_at\nJD0001,in_transit,2026-11-02T08:00:00Z\nJD0001,in_transit,yesterday\n"
    with pytest.raises(ShippingError, match="line 3"):
        import_tracking_events(text=text)
    assert not TrackingEvent.objects.exists()


def test_csv_without_the_needed_columns_is_refused():
    with pytest.raises(ShippingError, match="status"):
        import_tracking_events(text="tracking_number,when\nJD0001,now\n")


def test_tracking_import_page(client, shipment):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    from config import roles
    from tests.orders.factories import UserFactory

    client.force_login(UserFactory(role=roles.WAREHOUSE))
    csv_file = SimpleUploadedFile(
        "events.csv", b"tracking_number,status,occurred_at\nJD0001,delivered,2026-11-03T10:00:00Z\n"
    )
    bad_file = SimpleUploadedFile("bad.csv", b"tracking_number,status,occurred_at\nJD0001,lost,2026-11-03T10:00:00Z\n")
    # when
    bad = client.post(reverse("shipping:tracking-import"), {"file": bad_file})
    good = client.post(reverse("shipping:tracking-import"), {"file": csv_file})
    # then
    assert "not a tracking status" in bad.content.decode()
    assert good.status_code == 200 and good.context["result"].recorded == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.delivered_at is not None and shipment.delivered_at <= timezone.now()
