"""Checkout keeps the chosen way to pay on the order; the confirmation reads it from there,
so any browser (not only the one that ordered) sees how to pay."""

from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import StoreSettings
from orders.models import Order, PaymentChoice
from tests.catalog.test_shop_checkout import _data, cart_client, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _ship_key(client) -> str:
    body = client.get("/shop/checkout/").content.decode()
    return "ship-" + body.split('value="ship-')[1].split('"')[0]


def test_pay_at_pickup_is_kept_on_the_order_and_shown_to_another_browser(cart_client):  # noqa: F811
    response = cart_client.post("/shop/checkout/", _data(cart_client, payment="at_pickup"))
    order = Order.objects.get()
    assert order.payment_choice == PaymentChoice.AT_PICKUP
    # a fresh browser (the link from the e-mail, no session) still reads how to pay
    page = Client().get(response["Location"]).content.decode()
    assert "when you collect your order" in page


def test_bank_transfer_is_kept_and_the_confirmation_gives_the_bank_details(cart_client):  # noqa: F811
    store = StoreSettings.load()
    store.iban = "DE89370400440532013000"
    store.save()
    response = cart_client.post(
        "/shop/checkout/",
        _data(
            cart_client,
            delivery=_ship_key(cart_client),
            payment="bank_transfer",
            line1="Hauptstr. 1",
            postal_code="10115",
            city="Berlin",
        ),
    )
    order = Order.objects.get()
    assert order.payment_choice == PaymentChoice.BANK_TRANSFER
    page = Client().get(response["Location"]).content.decode()
    assert "DE89370400440532013000" in page and order.number in page


def test_online_is_kept_on_the_order(cart_client, settings):  # noqa: F811
    settings.PAYMENT_WEBHOOK_SECRET = "test-secret"
    response = cart_client.post("/shop/checkout/", _data(cart_client, payment="online"))
    order = Order.objects.get()
    assert order.payment_choice == PaymentChoice.ONLINE
    assert response["Location"].endswith(f"/shop/order/{order.tracking_code}/pay/")
    assert Decimal(order.total_amount) > 0
