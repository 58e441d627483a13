"""The reminder e-mail's public links: restore the cart on any device, unsubscribe."""

import pytest

from orders.models import Cart, CartEvent
from orders.services import CART_SESSION_KEY, add_to_cart, get_or_create_cart, give_cart_email
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart():
    web = ChannelFactory(code="web")
    cart = get_or_create_cart(channel=web, session_key="other-device")
    add_to_cart(cart=cart, variant=stocked_variant(channel=web, on_hand=5), quantity=1)
    give_cart_email(cart=cart, email="ada@example.com", consent=True)
    return cart


def test_restore_link_puts_the_cart_in_this_session_without_login(client, cart):
    response = client.get(f"/shop/cart/restore/{cart.token}/")
    assert response.status_code == 302
    assert response["Location"].endswith("/shop/cart/")
    assert client.session[CART_SESSION_KEY] == str(cart.token)
    cart.refresh_from_db()
    assert cart.session_key == client.session.session_key
    assert cart.events.filter(kind=CartEvent.Kind.RESTORED).exists()


@pytest.mark.parametrize("token", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_restore_link_says_so(client, cart, token):
    response = client.get(f"/shop/cart/restore/{token}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert CART_SESSION_KEY not in client.session


def test_restore_link_of_an_ordered_cart_says_so(client, cart):
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.CONVERTED, converted_at=cart.created_at)
    response = client.get(f"/shop/cart/restore/{cart.token}/")
    assert response.status_code == 410
    assert "already been ordered" in response.content.decode()


def test_unsubscribe_asks_then_unsubscribes(client, cart):
    url = f"/shop/cart/unsubscribe/{cart.token}/"
    response = client.get(url)
    assert response.status_code == 200 and "Unsubscribe" in response.content.decode()
    cart.refresh_from_db()
    assert not cart.unsubscribed  # a mail scanner opening the link changes nothing
    response = client.post(url)  # also the RFC 8058 one-click POST, without a CSRF token
    assert response.status_code == 200 and "no more reminders" in response.content.decode()
    cart.refresh_from_db()
    assert cart.unsubscribed


@pytest.mark.parametrize("token", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_unsubscribe_link_says_so(client, token):
    assert client.get(f"/shop/cart/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/shop/cart/unsubscribe/{token}/").status_code == 404
