"""Staff-entered orders (the new-order page) are chased by how the customer said they would pay.

An order taken on the phone to be paid at pickup or on terms is neither reminded nor cancelled
for being unpaid, like the same choice made at the storefront; a bank transfer is.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from billing.services import place_order_and_invoice_on_terms, process_unpaid_orders, send_payment_reminder
from catalog.models import StoreSettings
from orders.models import Order, PaymentChoice
from orders.services import LineInput, OrderEntry, save_draft_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PLACED = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def store():
    store = StoreSettings.load()
    store.unpaid_cancel_after_days = 7
    store.save()
    return store


@pytest.fixture
def phone():
    channel = ChannelFactory(code="phone")
    assert channel.requires_payment  # unpaid phone orders are chased unless the choice says not to
    return channel


def _staff_order(phone, choice: str, *, via_draft: bool = False) -> Order:
    """Placed as the new-order page places it, by a staff member (on terms only for a customer with terms)."""
    customer = CustomerFactory(payment_terms_days=30 if choice == PaymentChoice.ON_TERMS else None)
    pickup = LocationFactory(code="shop", is_pickup_point=True) if choice == PaymentChoice.AT_PICKUP else None
    entry = OrderEntry(
        channel=phone,
        lines=[LineInput(variant=stocked_variant(channel=phone, price=Decimal("10.00")), quantity=1)],
        customer=customer,
        pickup_location=pickup,
        payment_choice=choice,
    )
    staff = UserFactory(role="Staff")
    with time_machine.travel(PLACED, tick=False):
        draft = save_draft_order(entry=entry, by=staff) if via_draft else None
        order = place_order_and_invoice_on_terms(entry=entry, draft=draft, by=staff)
    order.refresh_from_db()
    assert (order.status, order.payment_choice, order.created_by) == (Order.Status.PLACED, choice, staff)
    return order


@pytest.mark.parametrize("via_draft", [False, True], ids=["placed-at-once", "placed-from-a-draft"])
@pytest.mark.parametrize("choice", [PaymentChoice.AT_PICKUP, PaymentChoice.ON_TERMS])
def test_a_staff_order_to_be_paid_at_pickup_or_on_terms_is_not_chased(store, phone, choice, via_draft):
    # given an unpaid phone order and, beside it, one the customer will pay by bank transfer
    skipped = _staff_order(phone, choice, via_draft=via_draft)
    transfer = _staff_order(phone, PaymentChoice.BANK_TRANSFER, via_draft=via_draft)
    # when the task runs a day before the deadline, then after it
    with time_machine.travel(PLACED + datetime.timedelta(days=6, hours=12), tick=False):
        reminded = process_unpaid_orders()
        assert send_payment_reminder(order_id=skipped.pk) is False
    with time_machine.travel(PLACED + datetime.timedelta(days=7, hours=1), tick=False):
        cancelled = process_unpaid_orders()
    # then only the transfer was reminded and cancelled
    assert reminded == {"cancelled": 0, "reminded": 1}
    assert cancelled == {"cancelled": 1, "reminded": 0}
    assert [m.to for m in mail.outbox] == [[transfer.email]]
    skipped.refresh_from_db()
    transfer.refresh_from_db()
    assert skipped.status == Order.Status.PLACED
    assert transfer.status == Order.Status.CANCELLED
