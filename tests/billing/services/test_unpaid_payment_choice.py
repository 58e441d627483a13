"""The unpaid-order beat task reads how the customer chose to pay (``Order.payment_choice``).

A bank-transfer order is reminded a day before the deadline (with the bank details) and
cancelled after it; an order to be paid at pickup waits for the customer and is neither.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from billing.services import process_unpaid_orders, send_payment_reminder
from catalog.models import StoreSettings
from orders.models import Order, PaymentChoice
from tests.billing.factories import placed_order
from tests.inventory.factories import LocationFactory

pytestmark = pytest.mark.django_db

PLACED = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def store():
    store = StoreSettings.load()
    store.unpaid_cancel_after_days = 7
    store.legal_name = "Laden GmbH"
    store.iban = "DE89370400440532013000"
    store.bic = "COBADEFFXXX"
    store.save()
    return store


def _placed(choice: str) -> Order:
    pickup = LocationFactory(code="shop", is_pickup_point=True) if choice == PaymentChoice.AT_PICKUP else None
    with time_machine.travel(PLACED, tick=False):
        return placed_order(prices=[Decimal("10.00")], payment_choice=choice, pickup_location=pickup)


def test_bank_transfer_is_reminded_with_the_bank_details_then_cancelled(store):
    # given a bank-transfer order and one to be paid at pickup, both unpaid
    transfer = _placed(PaymentChoice.BANK_TRANSFER)
    at_pickup = _placed(PaymentChoice.AT_PICKUP)
    # when the task runs a day before the deadline
    with time_machine.travel(PLACED + datetime.timedelta(days=6, hours=12), tick=False):
        reminded = process_unpaid_orders()
    # then only the transfer is reminded, with where to send the money
    assert reminded == {"cancelled": 0, "reminded": 1}
    assert [m.to for m in mail.outbox] == [[transfer.email]]
    body = mail.outbox[0].body
    assert "bank transfer" in body
    assert "Laden GmbH" in body and "DE89370400440532013000" in body and "COBADEFFXXX" in body
    assert transfer.number in body
    html = mail.outbox[0].alternatives[0][0]
    assert "DE89370400440532013000" in html and "Laden GmbH" in html
    # when the deadline has passed
    with time_machine.travel(PLACED + datetime.timedelta(days=7, hours=1), tick=False):
        cancelled = process_unpaid_orders()
    # then the transfer is cancelled; the pickup order still waits for its customer
    assert cancelled == {"cancelled": 1, "reminded": 0}
    transfer.refresh_from_db()
    at_pickup.refresh_from_db()
    assert transfer.status == Order.Status.CANCELLED
    assert at_pickup.status == Order.Status.PLACED
    assert len(mail.outbox) == 1


def test_pay_at_pickup_is_never_chased_even_weeks_later(store):
    at_pickup = _placed(PaymentChoice.AT_PICKUP)
    with time_machine.travel(PLACED + datetime.timedelta(days=30), tick=False):
        assert process_unpaid_orders() == {"cancelled": 0, "reminded": 0}
        assert send_payment_reminder(order_id=at_pickup.pk) is False
    at_pickup.refresh_from_db()
    assert at_pickup.status == Order.Status.PLACED
    assert mail.outbox == []


def test_online_and_not_given_choices_are_still_chased(store):
    online = _placed(PaymentChoice.ONLINE)
    unknown = _placed(PaymentChoice.NOT_GIVEN)
    with time_machine.travel(PLACED + datetime.timedelta(days=6, hours=12), tick=False):
        assert process_unpaid_orders() == {"cancelled": 0, "reminded": 2}
    # the reminder for an online choice does not claim the customer chose a transfer
    online_mail = next(m for m in mail.outbox if m.to == [online.email])
    assert "You chose to pay by bank transfer" not in online_mail.body
    with time_machine.travel(PLACED + datetime.timedelta(days=7, hours=1), tick=False):
        assert process_unpaid_orders()["cancelled"] == 2
    assert {o.status for o in Order.objects.filter(pk__in=[online.pk, unknown.pk])} == {Order.Status.CANCELLED}
