"""The storefront cart: add from the product page, change, remove; refusals by the field."""

from decimal import Decimal

import pytest

from orders.models import Cart, CartEvent
from tests.catalog.shop_fixtures import make_web_shop, web_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return make_web_shop()


def _add(client, variant, quantity=1):
    return client.post(f"/shop/p/{variant.product.slug}/", {"variant": variant.pk, "quantity": quantity})


def test_adding_puts_the_item_in_the_sessions_cart_and_redirects(client, web):
    variant = web_variant(web, on_hand=5, price=Decimal("10.00"))
    response = _add(client, variant, 2)
    assert response.status_code == 302
    assert response["Location"] == f"/shop/p/{variant.product.slug}/"
    cart = Cart.objects.get()
    assert [(line.variant_id, line.quantity) for line in cart.lines.all()] == [(variant.pk, 2)]
    assert cart.events.filter(kind=CartEvent.Kind.ITEM_ADDED).count() == 1
    body = client.get("/shop/cart/").content.decode()
    assert variant.product.name in body and "€23.80" in body
    # the same session keeps adding to the same cart
    _add(client, variant, 1)
    assert Cart.objects.count() == 1
    assert cart.lines.get().quantity == 3


def test_more_than_is_available_is_refused_next_to_the_quantity(client, web):
    variant = web_variant(web, on_hand=3)
    response = _add(client, variant, 4)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="quantity-error"' in body and "Only 3" in body
    assert not Cart.objects.filter(lines__isnull=False).exists()


def test_bad_input_is_refused_and_changes_nothing(client, web):
    variant = web_variant(web)
    other = web_variant(web)
    for data in (
        {"variant": variant.pk, "quantity": "abc"},
        {"variant": variant.pk, "quantity": 0},
        {"variant": other.pk, "quantity": 1},
        {},
    ):
        response = client.post(f"/shop/p/{variant.product.slug}/", data)
        assert response.status_code == 400, data
    assert not Cart.objects.filter(lines__isnull=False).exists()


def test_changing_and_removing_lines(client, web):
    a = web_variant(web, on_hand=5)
    b = web_variant(web, on_hand=5)
    _add(client, a, 1)
    _add(client, b, 1)
    cart = Cart.objects.get()
    # more than available: refused by the field, nothing changed
    response = client.post("/shop/cart/update/", {"variant": a.pk, "quantity": 9})
    assert response.status_code == 400
    assert f'id="qty-error-{a.pk}"' in response.content.decode()
    assert cart.lines.get(variant=a).quantity == 1
    # a change within the stock
    assert client.post("/shop/cart/update/", {"variant": a.pk, "quantity": 4}).status_code == 302
    assert cart.lines.get(variant=a).quantity == 4
    # remove with the button, and with quantity 0
    client.post("/shop/cart/update/", {"variant": a.pk, "quantity": 4, "remove": "1"})
    client.post("/shop/cart/update/", {"variant": b.pk, "quantity": 0})
    assert not cart.lines.exists()
    assert "Your cart is empty" in client.get("/shop/cart/").content.decode()
    # nonsense is refused politely
    assert client.post("/shop/cart/update/", {"variant": "x", "quantity": 1}).status_code == 302


def test_htmx_update_answers_the_cart_fragment(client, web):
    a = web_variant(web, on_hand=5)
    _add(client, a, 1)
    response = client.post("/shop/cart/update/", {"variant": a.pk, "quantity": 2}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().startswith('<div id="shop-cart"')
    assert 'id="shop-cart-count" hx-swap-oob="true">2<' in response.content.decode()
    # a refusal comes back in the fragment (htmx swaps only 2xx answers), by the field
    response = client.post("/shop/cart/update/", {"variant": a.pk, "quantity": 50}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="qty-error-{a.pk}"' in response.content.decode()


def test_an_empty_cart_page_creates_no_cart(client, web):
    assert client.get("/shop/cart/").status_code == 200
    assert not Cart.objects.exists()


@pytest.mark.parametrize("lines", [1, 8])
def test_cart_page_costs_a_fixed_number_of_queries(client, web, django_assert_max_num_queries, lines):
    for _ in range(lines):
        _add(client, web_variant(web), 1)
    with django_assert_max_num_queries(10):
        assert client.get("/shop/cart/").status_code == 200
