"""Checkout: field errors change nothing, one order however often it is sent, cart steps,
discount refusals by the field, the confirmation, and the built-in provider's test payment."""

from decimal import Decimal

import pytest
from django.core import mail

from orders.models import Cart, CartEvent, Order
from tests.catalog.shop_fixtures import make_web_shop, web_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return make_web_shop()


@pytest.fixture
def cart_client(client, web):
    """A client whose session cart holds 2 units of one product."""
    variant = web_variant(web, on_hand=5, price=Decimal("10.00"))
    client.post(f"/shop/p/{variant.product.slug}/", {"variant": variant.pk, "quantity": 2})
    client.variant = variant
    return client


def _token(client):
    body = client.get("/shop/checkout/").content.decode()
    return body.split('name="token" value="')[1].split('"')[0]


def _pickup_key(client):
    body = client.get("/shop/checkout/").content.decode()
    return "pickup-" + body.split('value="pickup-')[1].split('"')[0]


def _data(client, **overrides):
    data = {
        "email": "ada@example.com",
        "reminder_consent": "on",
        "name": "Ada Lovelace",
        "phone": "",
        "delivery": _pickup_key(client),
        "billing_same": "on",
        "payment": "at_pickup",
        "token": _token(client),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_checkout_with_pickup_places_one_order_and_e_mails_the_tracking_link(
    cart_client, web, django_capture_on_commit_callbacks
):
    data = _data(cart_client)
    with django_capture_on_commit_callbacks(execute=True):
        response = cart_client.post("/shop/checkout/", data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == f"/shop/order/{order.tracking_code}/"
    assert order.channel == web and order.pickup_location.code == "shop" and order.number
    assert order.lines.get().quantity == 2
    cart = Cart.objects.get()
    assert cart.order == order and cart.email == "ada@example.com" and cart.reminder_consent
    kinds = set(cart.events.values_list("kind", flat=True))
    assert {
        CartEvent.Kind.CHECKOUT_STARTED,
        CartEvent.Kind.DETAILS_GIVEN,
        CartEvent.Kind.SHIPPING_CHOSEN,
        CartEvent.Kind.PAYMENT_STARTED,
        CartEvent.Kind.ORDER_PLACED,
    } <= kinds
    page = cart_client.get(response["Location"]).content.decode()
    assert order.number in page and "Main Street shop" in page
    assert any(f"/track/{order.tracking_code}/" in m.body for m in mail.outbox)
    # the cart is gone from the session
    assert "Your cart is empty" in cart_client.get("/shop/cart/").content.decode()


def test_a_double_submit_or_reload_places_one_order(cart_client):
    data = _data(cart_client)
    first = cart_client.post("/shop/checkout/", data)
    second = cart_client.post("/shop/checkout/", data)
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": ""}, "name"),
        ({"delivery": "ship-999999"}, "delivery"),
        ({"payment": "bitcoin"}, "payment"),
        ({"billing_same": None}, "billing_line1"),
        ({"discount_code": "NOPE"}, "discount_code"),
    ],
)
def test_bad_input_gets_field_errors_and_no_order(cart_client, overrides, field):
    response = cart_client.post("/shop/checkout/", _data(cart_client, **overrides))
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode() or f'id="{field.split("_")[0]}-error"' in (
        response.content.decode()
    )
    assert not Order.objects.exists()


def test_delivery_needs_an_address_and_pay_at_pickup_needs_pickup(cart_client):
    body = cart_client.get("/shop/checkout/").content.decode()
    ship = "ship-" + body.split('value="ship-')[1].split('"')[0]
    response = cart_client.post("/shop/checkout/", _data(cart_client, delivery=ship, payment="at_pickup"))
    text = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_line1-error"' in text and 'id="payment-error"' in text
    assert not Order.objects.exists()
    # with an address and a bank transfer it goes through, shipping priced by the shipping service
    response = cart_client.post(
        "/shop/checkout/",
        _data(
            cart_client, delivery=ship, payment="bank_transfer", line1="Hauptstr. 1", postal_code="10115", city="Berlin"
        ),
    )
    order = Order.objects.get()
    assert order.shipping_amount == Decimal("4.90") and order.shipping_address["city"] == "Berlin"
    page = cart_client.get(response["Location"]).content.decode()
    assert "transfer" in page and order.number in page


def test_an_unknown_discount_code_says_why_and_apply_only_previews(cart_client):
    response = cart_client.post("/shop/checkout/", _data(cart_client, discount_code="NOPE", apply="1"))
    assert response.status_code == 400
    assert 'id="discount-error"' in response.content.decode()
    assert not Order.objects.exists()


def test_an_empty_cart_cannot_check_out(client, web):
    assert client.get("/shop/checkout/")["Location"] == "/shop/cart/"
    assert client.post("/shop/checkout/", {"email": "a@example.com"})["Location"] == "/shop/cart/"
    assert not Order.objects.exists()


def test_online_payment_on_the_test_page_pays_the_order(cart_client, settings):
    settings.PAYMENT_WEBHOOK_SECRET = "s3cret"
    response = cart_client.post("/shop/checkout/", _data(cart_client, payment="online"))
    order = Order.objects.get()
    assert response["Location"] == f"/shop/order/{order.tracking_code}/pay/"
    # a declined payment first, then a good one
    cart_client.post(response["Location"], {"fail": "1"})
    order.refresh_from_db()
    assert order.payment_status != "paid"
    assert Cart.objects.get().events.filter(kind=CartEvent.Kind.PAYMENT_FAILED).count() == 1
    cart_client.post(response["Location"], {"pay": "1"})
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert order.payments.filter(status="verified").count() == 1


def test_the_order_page_is_404_for_unknown_codes(client, web):
    assert client.get("/shop/order/nothing-here/").status_code == 404
    assert client.get("/shop/order/nothing-here/pay/").status_code == 404


def test_checkout_page_costs_a_fixed_number_of_queries(cart_client, django_assert_max_num_queries):
    cart_client.get("/shop/checkout/")
    with django_assert_max_num_queries(16):
        assert cart_client.get("/shop/checkout/").status_code == 200


def test_only_the_session_that_ordered_sees_the_e_mail_and_guessing_is_rate_limited(cart_client, settings):
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    settings.TRACKING_RATE_LIMIT = 4
    client = Client()
    response = cart_client.post("/shop/checkout/", _data(cart_client))
    assert "ada@example.com" in cart_client.get(response["Location"]).content.decode()
    stranger = client.get(response["Location"])
    assert stranger.status_code == 200 and "ada@example.com" not in stranger.content.decode()
    codes = [client.get(f"/shop/order/guess-{n}/").status_code for n in range(4)]
    assert codes == [404, 404, 429, 429]


def test_two_requests_racing_with_the_same_cart_place_one_order(cart_client, monkeypatch):
    # given the second click read the cart while it was still open
    stale = Cart.objects.get()
    first = cart_client.post("/shop/checkout/", _data(cart_client))
    monkeypatch.setattr("catalog.views.shop_checkout.session_cart", lambda request, channel: stale)
    # when it arrives with a token of its own
    second = cart_client.post("/shop/checkout/", _data(cart_client, token="another-token"))
    # then it lands on the same order
    assert Order.objects.count() == 1
    assert second.status_code == 302 and second["Location"].split("/pay/")[0].rstrip("/") == first["Location"].rstrip(
        "/"
    )
