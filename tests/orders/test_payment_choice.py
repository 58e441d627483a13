"""The customer's chosen way to pay is kept on the order (``Order.payment_choice``)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from orders.exceptions import InvalidOrder
from orders.models import Cart, CartEvent, Order, PaymentChoice
from orders.services import LineInput, add_to_cart, get_or_create_cart, place_order, place_order_from_cart
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada", "line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}


@pytest.fixture
def web():
    return ChannelFactory(code="web")


@pytest.fixture
def shop():
    return LocationFactory(code="shop", name="Main Street shop", is_pickup_point=True)


def _cart(web) -> Cart:
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=stocked_variant(channel=web, on_hand=5, price=Decimal("10.00")), quantity=1)
    return cart


def test_placing_from_a_cart_keeps_the_choice(web, shop):
    # when
    order = place_order_from_cart(
        cart=_cart(web),
        email="ada@example.com",
        customer_name="Ada Lovelace",
        pickup_location=shop,
        payment_choice=PaymentChoice.AT_PICKUP,
    )
    # then
    order.refresh_from_db()
    assert order.payment_choice == PaymentChoice.AT_PICKUP
    assert order.get_payment_choice_display() == "Pay at pickup"


def test_without_a_choice_the_order_says_not_given(web):
    order = place_order_from_cart(
        cart=_cart(web), email="ada@example.com", customer_name="Ada", shipping_address=ADDRESS
    )
    assert order.payment_choice == PaymentChoice.NOT_GIVEN == ""


@pytest.mark.parametrize(
    ("choice", "pickup", "message"),
    [
        ("bitcoin", False, "Choose a way to pay from the list."),
        (PaymentChoice.AT_PICKUP, False, "Paying at pickup needs pickup at a store."),
    ],
)
def test_a_bad_choice_is_refused_and_places_nothing(web, shop, choice, pickup, message):
    variant = stocked_variant(channel=web, on_hand=5, price=Decimal("10.00"))
    with pytest.raises(InvalidOrder) as refused:
        place_order(
            channel=web,
            lines=[LineInput(variant=variant, quantity=1)],
            email="ada@example.com",
            shipping_address=ADDRESS,
            pickup_location=shop if pickup else None,
            payment_choice=choice,
        )
    assert refused.value.message == message and refused.value.field == "payment_choice"
    assert not Order.objects.exists()


def test_the_migration_takes_earlier_orders_choice_from_the_cart_step(web):
    # given an order placed before the field: the choice only in the cart's steps (the last wins)
    cart = _cart(web)
    order = place_order_from_cart(cart=cart, email="ada@example.com", customer_name="Ada", shipping_address=ADDRESS)
    CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.PAYMENT_STARTED, detail="online")
    CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.PAYMENT_STARTED, detail="bank_transfer")
    migration = importlib.import_module("orders.migrations.0014_order_payment_choice")
    # when
    migration.from_cart_steps(apps, None)
    # then
    order.refresh_from_db()
    assert order.payment_choice == PaymentChoice.BANK_TRANSFER


def test_the_order_page_shows_what_the_customer_chose_by_the_payments(client, web, shop):
    order = place_order_from_cart(
        cart=_cart(web),
        email="ada@example.com",
        customer_name="Ada",
        pickup_location=shop,
        payment_choice=PaymentChoice.AT_PICKUP,
    )
    client.force_login(UserFactory(role="Staff"))
    body = client.get(reverse("orders:order-detail", kwargs={"number": order.number})).content.decode()
    assert 'data-testid="payment-choice"' in body
    assert "Customer chose: Pay at pickup" in body
    assert "no payment reminder and no automatic cancellation" in body
    # the choice sits in the payments panel
    panel = body.split('data-testid="billing-panel"')[1].split("</section>")[0]
    assert "Customer chose: Pay at pickup" in panel
