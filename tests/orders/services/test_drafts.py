from decimal import Decimal

import pytest

from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel
from orders.exceptions import InvalidTransition
from orders.models import Customer, Order
from orders.services import LineInput, OrderEntry, place_entry_order, save_draft_order
from orders.services.customers import InvalidCustomer, create_customer
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel():
    return ChannelFactory(code="phone")


def test_a_draft_holds_priced_lines_and_no_stock(channel):
    # given
    shirt = stocked_variant(channel=channel, on_hand=2, price=Decimal("20.00"))
    # when
    draft = save_draft_order(
        entry=OrderEntry(channel=channel, lines=[LineInput(variant=shirt, quantity=2)], customer=CustomerFactory())
    )
    # then
    assert draft.status == Order.Status.DRAFT
    assert draft.number is None
    assert draft.total_amount == Decimal("47.60")
    assert StockLevel.objects.get(variant=shirt).reserved == 0


def test_saving_a_draft_again_replaces_its_lines(channel):
    shirt = stocked_variant(channel=channel, price=Decimal("20.00"))
    mug = stocked_variant(channel=channel, price=Decimal("8.50"))
    draft = save_draft_order(entry=OrderEntry(channel=channel, lines=[LineInput(variant=shirt, quantity=1)]))
    draft = save_draft_order(entry=OrderEntry(channel=channel, lines=[LineInput(variant=mug, quantity=3)]), draft=draft)
    assert [(line.sku, line.quantity) for line in draft.lines.all()] == [(mug.sku, 3)]
    assert draft.subtotal_amount == Decimal("25.50")


def test_placing_a_draft_reserves_its_stock(channel):
    shirt = stocked_variant(channel=channel, on_hand=3)
    entry = OrderEntry(channel=channel, lines=[LineInput(variant=shirt, quantity=2)], customer=CustomerFactory())
    draft = save_draft_order(entry=entry)
    order = place_entry_order(entry=entry, draft=draft)
    assert order.pk == draft.pk
    assert order.status == Order.Status.PLACED
    assert StockLevel.objects.get(variant=shirt).reserved == 2


def test_a_placed_draft_cannot_be_saved_as_a_draft_again(channel):
    shirt = stocked_variant(channel=channel)
    entry = OrderEntry(channel=channel, lines=[LineInput(variant=shirt, quantity=1)], customer=CustomerFactory())
    order = place_entry_order(entry=entry, draft=save_draft_order(entry=entry))
    with pytest.raises(InvalidTransition):
        save_draft_order(entry=entry, draft=order)


def test_placing_with_a_new_customer_is_all_or_nothing(channel):
    # given one shirt in stock and a new customer
    shirt = stocked_variant(channel=channel, on_hand=1)
    entry = OrderEntry(
        channel=channel,
        lines=[LineInput(variant=shirt, quantity=2)],
        new_customer={"first_name": "Grace", "last_name": "Hopper", "email": "g@example.com"},
    )
    # when / then
    with pytest.raises(InsufficientStock):
        place_entry_order(entry=entry)
    assert not Customer.objects.filter(email="g@example.com").exists()
    assert not Order.objects.exists()


def test_create_customer_refuses_a_taken_email_and_no_contact():
    CustomerFactory(email="taken@example.com")
    with pytest.raises(InvalidCustomer):
        create_customer(first_name="A", email="TAKEN@example.com")
    with pytest.raises(InvalidCustomer):
        create_customer(first_name="A")
    customer = create_customer(first_name="A", phone="123", address={"line1": "X 1", "postal_code": "1", "city": "Y"})
    assert customer.addresses.get().is_default_shipping
