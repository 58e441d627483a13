"""Staff drafts keep how the customer will pay (``Order.payment_choice``) up to the placed order."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from orders.exceptions import InvalidOrder
from orders.models import Customer, Order, PaymentChoice
from orders.services import LineInput, OrderEntry, check_payment_choice, place_entry_order, save_draft_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


@pytest.fixture
def channel():
    return ChannelFactory(code="phone")


@pytest.fixture
def shirt(channel):
    return stocked_variant(channel=channel, on_hand=5, price=Decimal("20.00"))


@pytest.fixture
def store():
    return LocationFactory(code="shop", name="Main Street shop", is_pickup_point=True)


def _entry(channel, shirt, **kwargs) -> OrderEntry:
    kwargs.setdefault("customer", CustomerFactory())
    return OrderEntry(channel=channel, lines=[LineInput(variant=shirt, quantity=1)], **kwargs)


def test_a_draft_keeps_the_choice_when_saved_again_and_placed(channel, shirt):
    # given a draft the customer will pay by bank transfer
    entry = _entry(channel, shirt, payment_choice=PaymentChoice.BANK_TRANSFER)
    draft = save_draft_order(entry=entry)
    draft.refresh_from_db()
    assert draft.payment_choice == PaymentChoice.BANK_TRANSFER
    # when the customer calls back: online after all, and the draft is saved again
    entry.payment_choice = PaymentChoice.ONLINE
    draft = save_draft_order(entry=entry, draft=draft)
    draft.refresh_from_db()
    assert draft.payment_choice == PaymentChoice.ONLINE
    # when it is placed
    order = place_entry_order(entry=entry, draft=draft)
    # then the placed order carries the choice
    order.refresh_from_db()
    assert order.pk == draft.pk
    assert order.status == Order.Status.PLACED
    assert order.payment_choice == PaymentChoice.ONLINE


def test_pay_at_pickup_is_kept_with_pickup_at_a_store(channel, shirt, store):
    entry = _entry(channel, shirt, pickup_location=store, payment_choice=PaymentChoice.AT_PICKUP)
    draft = save_draft_order(entry=entry)
    order = place_entry_order(entry=entry, draft=draft)
    order.refresh_from_db()
    assert (order.payment_choice, order.pickup_location) == (PaymentChoice.AT_PICKUP, store)


def test_an_order_placed_without_a_draft_keeps_the_choice(channel, shirt):
    wholesale = CustomerFactory(payment_terms_days=30)
    order = place_entry_order(entry=_entry(channel, shirt, customer=wholesale, payment_choice=PaymentChoice.ON_TERMS))
    order.refresh_from_db()
    assert order.payment_choice == PaymentChoice.ON_TERMS


def test_no_choice_is_saved_as_not_given(channel, shirt):
    draft = save_draft_order(entry=_entry(channel, shirt))
    draft.refresh_from_db()
    assert draft.payment_choice == PaymentChoice.NOT_GIVEN == ""


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("cash", "Choose a way to pay from the list."),
        (PaymentChoice.AT_PICKUP, "Paying at pickup needs pickup at a store."),
        (PaymentChoice.ON_TERMS, "Paying on terms needs a customer with payment terms (set them on the customer)."),
    ],
)
def test_a_bad_choice_is_refused_on_its_field_and_nothing_is_saved(channel, shirt, choice, message):
    # given a new customer on the phone
    entry = _entry(channel, shirt, customer=None, new_customer=dict(NEW_CUSTOMER), payment_choice=choice)
    # when / then: neither a draft nor a placed order is written, nor the new customer
    for save in (save_draft_order, place_entry_order):
        with pytest.raises(InvalidOrder) as refused:
            save(entry=entry)
        assert (refused.value.field, refused.value.message) == ("payment_choice", message)
    assert not Order.objects.exists()
    assert not Customer.objects.filter(email="grace@example.com").exists()
    assert StockLevel.objects.get(variant=shirt).reserved == 0


def test_a_bad_choice_leaves_a_saved_draft_as_it_was(channel, shirt):
    # given a saved draft with a bank transfer and one shirt
    entry = _entry(channel, shirt, payment_choice=PaymentChoice.BANK_TRANSFER)
    draft = save_draft_order(entry=entry)
    # when it is saved, then placed, with pay at pickup but shipped (and two shirts)
    changed = OrderEntry(
        channel=channel,
        lines=[LineInput(variant=shirt, quantity=2)],
        customer=entry.customer,
        payment_choice=PaymentChoice.AT_PICKUP,
    )
    for save in (save_draft_order, place_entry_order):
        with pytest.raises(InvalidOrder) as refused:
            save(entry=changed, draft=draft)
        assert refused.value.field == "payment_choice"
    # then the draft is unchanged and holds no stock
    draft.refresh_from_db()
    assert draft.status == Order.Status.DRAFT
    assert draft.payment_choice == PaymentChoice.BANK_TRANSFER
    assert [line.quantity for line in draft.lines.all()] == [1]
    assert StockLevel.objects.get(variant=shirt).reserved == 0


def test_check_payment_choice_writes_nothing(channel, shirt, store):
    check_payment_choice(entry=_entry(channel, shirt, pickup_location=store, payment_choice=PaymentChoice.AT_PICKUP))
    with pytest.raises(InvalidOrder):
        check_payment_choice(entry=_entry(channel, shirt, payment_choice=PaymentChoice.AT_PICKUP))
    assert not Order.objects.exists()
