"""Shipment e-mails and carrier hand-offs published while the broker is down: the shipment
stands, and the beat publishes them again, once."""

import datetime
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from kombu.exceptions import OperationalError

from orders.models import OrderEvent
from shipping.models import CarrierHandoff, ShipmentStatus
from shipping.services import create_shipment, mark_ready_for_pickup, mark_shipped, record_tracking_event
from shipping.tasks import publish_due_shipping_work
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import CarrierAccountFactory, placed_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
NOTHING = {"emails": 0, "handoffs": 0, "imports": 0}


def _broker_down():
    return patch("celery.app.task.Task.apply_async", side_effect=REFUSED)


def _beat(at) -> dict:
    with time_machine.travel(at, tick=False):
        return publish_due_shipping_work.delay().get()


def _emails_sent(order) -> list[str]:
    return sorted(order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT).values_list("new_value", flat=True))


@pytest.fixture
def t0():
    return timezone.now()


def test_a_shipment_marked_shipped_while_the_broker_is_down_gets_its_email_and_hand_off_once(
    warehouse, t0, django_capture_on_commit_callbacks, caplog
):
    # given: a webhook carrier; the order and the shipment
    CarrierAccountFactory(kind="webhook", endpoint_url="https://carrier.example/api/shipments")
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    # when: it is marked shipped while the broker refuses every publish
    with time_machine.travel(t0, tick=False), _broker_down(), django_capture_on_commit_callbacks(execute=True):
        shipment = mark_shipped(shipment=shipment, carrier="DHL", tracking_number="JD0001")
    # then: the shipment is shipped; no e-mail, no hand-off yet; the refusals are logged
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED
    assert mail.outbox == [] and not CarrierHandoff.objects.exists()
    assert "Connection refused" in caplog.text
    # the beat: nothing during the grace period, then both, then nothing more
    with patch("shipping.services.handoff._post", return_value="{}") as post:
        assert _beat(t0 + datetime.timedelta(minutes=2)) == NOTHING
        assert _beat(t0 + datetime.timedelta(minutes=6)) == {"emails": 1, "handoffs": 1, "imports": 0}
        assert _beat(t0 + datetime.timedelta(minutes=7)) == NOTHING
        cache.clear()  # the test's own cache: forget the beat's throttle; the database says it is done
        assert _beat(t0 + datetime.timedelta(minutes=40)) == NOTHING
    assert post.call_count == 1 and CarrierHandoff.objects.get().sent_at is not None
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert _emails_sent(order) == [f"shipped:{shipment.pk}"]


def test_delivered_and_ready_for_pickup_emails_lost_at_commit_are_sent_once(
    warehouse, t0, django_capture_on_commit_callbacks
):
    # given: one shipment delivered and one ready for pickup while the broker is down
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with django_capture_on_commit_callbacks(execute=True):
        shipment = mark_shipped(shipment=shipment, carrier="DHL", tracking_number="JD0001")  # e-mail goes out
    shop = LocationFactory(code="shop", name="Corner Shop", is_pickup_point=True)
    pickup_order = placed_order(location=shop, pickup_location=shop, email="bob@example.com")
    pickup = create_shipment(order=pickup_order, location=shop, lines=[(pickup_order.lines.get(), 1)])
    with time_machine.travel(t0, tick=False), _broker_down(), django_capture_on_commit_callbacks(execute=True):
        record_tracking_event(shipment=shipment, status="delivered", occurred_at=t0, external_id="d1")
        mark_ready_for_pickup(shipment=pickup)
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    # when: the beat runs after the grace period, and again
    assert _beat(t0 + datetime.timedelta(minutes=6))["emails"] == 2
    assert _beat(t0 + datetime.timedelta(minutes=7)) == NOTHING
    # then
    assert _emails_sent(order) == [f"delivered:{shipment.pk}", f"shipped:{shipment.pk}"]
    assert _emails_sent(pickup_order) == [f"ready_for_pickup:{pickup.pk}"]
    assert len(mail.outbox) == 3
    # a day later a lost e-mail is left alone
    cache.clear()
    OrderEvent.objects.filter(kind=OrderEvent.Kind.EMAIL_SENT).delete()
    assert _beat(t0 + datetime.timedelta(days=2)) == NOTHING
