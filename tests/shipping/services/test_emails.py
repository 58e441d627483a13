import pytest
from django.core import mail
from django.utils import timezone

from orders.models import OrderEvent
from shipping.services import (
    create_shipment,
    mark_ready_for_pickup,
    mark_shipped,
    record_tracking_event,
    send_shipment_email,
)
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(warehouse, django_capture_on_commit_callbacks):
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shipment = mark_shipped(shipment=shipment, carrier="DHL", tracking_number="JD0001")
    return shipment


def test_shipped_email_goes_out_once_with_the_tracking_link(shipped):
    # then (the task ran eagerly after commit)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    order = shipped.order
    assert message.to == ["ada@example.com"]
    assert order.number in message.subject
    assert f"/track/{order.tracking_code}/" in message.body
    assert "JD0001" in message.body
    html = message.alternatives[0][0]
    assert f"/track/{order.tracking_code}/" in html and "JD0001" in html
    # when the task runs again (a retry)
    assert send_shipment_email(shipment_id=shipped.pk, kind="shipped") is False
    # then nothing more is sent
    assert len(mail.outbox) == 1
    assert OrderEvent.objects.filter(order=order, kind="email_sent", new_value=f"shipped:{shipped.pk}").count() == 1


def test_delivered_email_goes_out_once(shipped, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        record_tracking_event(shipment=shipped, status="delivered", occurred_at=timezone.now(), external_id="d1")
    with django_capture_on_commit_callbacks(execute=True):
        record_tracking_event(shipment=shipped, status="delivered", occurred_at=timezone.now(), external_id="d1")
    send_shipment_email(shipment_id=shipped.pk, kind="delivered")
    # then
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 2 and "delivered" in subjects[1]


def test_ready_for_pickup_email_names_the_shop_once(django_capture_on_commit_callbacks):
    # given
    shop = LocationFactory(code="shop", name="Corner Shop", is_pickup_point=True, opening_hours="Mo–Sa 10–18")
    order = placed_order(location=shop, pickup_location=shop)
    shipment = create_shipment(order=order, location=shop, lines=[(order.lines.get(), 1)])
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        mark_ready_for_pickup(shipment=shipment)
    send_shipment_email(shipment_id=shipment.pk, kind="ready_for_pickup")
    # then
    assert len(mail.outbox) == 1
    assert "Corner Shop" in mail.outbox[0].body and "Mo–Sa 10–18" in mail.outbox[0].body
    assert "ready for pickup" in mail.outbox[0].subject


def test_no_email_address_sends_nothing(warehouse):
    order = placed_order(location=warehouse, email="")
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    mail.outbox.clear()
    assert send_shipment_email(shipment_id=shipment.pk, kind="shipped") is False
    assert mail.outbox == []


def test_unknown_kind_is_a_programming_error(shipped):
    with pytest.raises(ValueError):
        send_shipment_email(shipment_id=shipped.pk, kind="lost")
