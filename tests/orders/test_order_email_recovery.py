"""Order e-mails published while the broker is down: the order stands, the beat sends them once."""

import datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from kombu.exceptions import OperationalError

from orders.models import Order, OrderEvent
from orders.services import LineInput, cancel_order, place_order
from orders.tasks import send_due_order_emails
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _broker_down():
    return patch("celery.app.task.Task.apply_async", side_effect=REFUSED)


def _place(email="ada@example.com") -> Order:
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, price=Decimal("12.00"))
    return place_order(
        channel=channel, email=email, customer_name="Ada", lines=[LineInput(variant=variant, quantity=1)]
    )


def _sent(order: Order, kind: str) -> int:
    return order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value=kind).count()


def test_an_order_placed_while_the_broker_is_down_stands_and_the_beat_sends_its_email_once(
    django_capture_on_commit_callbacks, caplog
):
    # given: the publish at commit is refused
    with time_machine.travel(T0, tick=False), _broker_down(), django_capture_on_commit_callbacks(execute=True):
        order = _place()
    # then: the order is placed, nothing was sent, the refusal is in the log
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED and order.number
    assert mail.outbox == [] and _sent(order, "placed") == 0
    assert "Connection refused" in caplog.text
    # when: the beat runs before the grace period, then after it, then again
    with time_machine.travel(T0 + datetime.timedelta(minutes=2), tick=False):
        assert send_due_order_emails.delay().get() == 0
    with time_machine.travel(T0 + datetime.timedelta(minutes=6), tick=False):
        assert send_due_order_emails.delay().get() == 1
        assert send_due_order_emails.delay().get() == 0
    # then: one e-mail, one timeline row
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert _sent(order, "placed") == 1


def test_the_beat_sends_nothing_for_an_email_that_went_out_nor_for_an_old_order(django_capture_on_commit_callbacks):
    # given: one order whose e-mail went out at commit, one whose publish was lost two days ago
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sent = _place()
        with _broker_down(), django_capture_on_commit_callbacks(execute=True):
            _place(email="old@example.com")
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    # when / then: after the grace period the sent one is not due (even with the throttle forgotten)
    with time_machine.travel(T0 + datetime.timedelta(minutes=6), tick=False):
        assert send_due_order_emails.delay().get() == 1  # the lost one only
        cache.clear()  # the test's own cache: forget the beat's throttle
        assert send_due_order_emails.delay().get() == 0  # its task wrote its timeline row
    assert _sent(sent, "placed") == 1 and len(mail.outbox) == 2
    # a lost publish older than a day is left alone
    with _broker_down(), django_capture_on_commit_callbacks(execute=True), time_machine.travel(T0, tick=False):
        _place(email="late@example.com")
    with time_machine.travel(T0 + datetime.timedelta(days=2), tick=False):
        assert send_due_order_emails.delay().get() == 0


def test_cancelling_while_the_broker_is_down_answers_normally_and_the_beat_sends_the_email_once(
    client, django_capture_on_commit_callbacks
):
    # given
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            order = _place()
        client.force_login(UserFactory(role="Staff"))
        # when: the clerk cancels while the broker refuses
        with _broker_down(), django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("orders:order-cancel", kwargs={"number": order.number}), {"reason": "x"})
    # then: the page answers as usual and the order is cancelled
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order-detail", kwargs={"number": order.number})
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and _sent(order, "cancelled") == 0
    # the beat sends the cancellation once
    with time_machine.travel(T0 + datetime.timedelta(minutes=6), tick=False):
        assert send_due_order_emails.delay().get() == 1
        assert send_due_order_emails.delay().get() == 0
    assert _sent(order, "cancelled") == 1 and len(mail.outbox) == 2


def test_an_order_cancelled_before_the_beat_gets_the_cancellation_only(django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False), _broker_down():
        with django_capture_on_commit_callbacks(execute=True):
            order = _place()
        with django_capture_on_commit_callbacks(execute=True):
            cancel_order(order=order)
    with time_machine.travel(T0 + datetime.timedelta(minutes=6), tick=False):
        assert send_due_order_emails.delay().get() == 1
    assert (_sent(order, "placed"), _sent(order, "cancelled")) == (0, 1)
