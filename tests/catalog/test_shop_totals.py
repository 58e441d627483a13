"""What the shop shows as totals is what the order gets: cart, checkout preview with a code,
confirmation and the reminder e-mail agree to the cent, and the lines add up to the subtotal,
even when each line's VAT rounded on its own would miss by a cent."""

from decimal import Decimal

import pytest

from catalog.models import DiscountCode
from orders.models import Order
from orders.selectors.carts import get_cart_contents
from shipping.models import ShippingMethod
from tests.catalog.factories import DiscountCodeFactory
from tests.catalog.shop_fixtures import make_web_shop, web_variant
from tests.catalog.test_shop_checkout import _data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart_client(client):
    """Net prices 19.24 × 1 and 37.73 × 2 at 19 %: the lines' own grosses (22.90 + 89.80 = 112.70)
    miss the VAT on the sum of the nets (94.70 + 17.99 = 112.69) by a cent."""
    web = make_web_shop()
    assert not web.price_list.prices_include_tax
    for price, quantity in ((Decimal("19.24"), 1), (Decimal("37.73"), 2)):
        variant = web_variant(web, on_hand=5, price=price)
        client.post(f"/shop/p/{variant.product.slug}/", {"variant": variant.pk, "quantity": quantity})
    client.web = web
    return client


def test_the_cart_lines_add_up_to_the_subtotal(cart_client):
    summary = cart_client.get("/shop/cart/").context["summary"]
    assert summary.subtotal_gross == Decimal("112.69")
    assert sum(row.gross for row in summary.rows) == summary.subtotal_gross
    contents = get_cart_contents(cart=summary.rows[0].item.line.cart)
    assert sum(item.line_gross for item in contents.items) == contents.gross == Decimal("112.69")


@pytest.mark.parametrize(
    ("kind", "value"), [(DiscountCode.Kind.PERCENT, Decimal("10.00")), (DiscountCode.Kind.FIXED, Decimal("7.77"))]
)
def test_checkout_preview_and_confirmation_show_the_placed_orders_figures(cart_client, kind, value):
    DiscountCodeFactory(code="TENOFF", kind=kind, value=value)
    preview = cart_client.post("/shop/checkout/", _data(cart_client, discount_code="TENOFF", apply="1"))
    assert preview.status_code == 200, preview.content.decode()[:500]
    shown = preview.context["totals"]
    rows = preview.context["summary"].rows
    assert sum(row.gross for row in rows) == shown["goods"] == Decimal("112.69")
    assert shown["goods"] - shown["discount"] + (shown["shipping"] or 0) == shown["total"]

    placed = cart_client.post("/shop/checkout/", _data(cart_client, discount_code="TENOFF"))
    assert placed.status_code == 302, placed.content.decode()[:500]
    order = Order.objects.get()
    assert order.discount_amount > 0
    assert shown["total"] == order.total_amount

    confirmation = cart_client.get(placed["Location"]).context
    assert confirmation["discount_gross"] == shown["discount"]
    assert sum(amount for _line, amount in confirmation["lines"]) == shown["goods"]
    assert shown["goods"] - confirmation["discount_gross"] + confirmation["shipping_gross"] == order.total_amount


def test_the_percent_example_from_the_journey(cart_client):
    DiscountCodeFactory(code="TENOFF", kind=DiscountCode.Kind.PERCENT, value=Decimal("10.00"))
    shown = cart_client.post("/shop/checkout/", _data(cart_client, discount_code="TENOFF", apply="1")).context["totals"]
    # nets 94.70 − 9.47 = 85.23, VAT 16.19: 101.42 to pay at pickup; 112.69 − 101.42 = 11.27 off
    assert (shown["goods"], shown["discount"], shown["total"]) == (
        Decimal("112.69"),
        Decimal("11.27"),
        Decimal("101.42"),
    )


def test_a_code_that_takes_the_goods_below_free_shipping_is_previewed_with_the_shipping_placed(cart_client):
    ShippingMethod.objects.filter(code="parcel").update(free_above_amount=Decimal("90.00"))
    DiscountCodeFactory(code="TENOFF", kind=DiscountCode.Kind.PERCENT, value=Decimal("10.00"))
    body = cart_client.get("/shop/checkout/").content.decode()
    ship = "ship-" + body.split('value="ship-')[1].split('"')[0]
    address = {"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}
    fields = {"delivery": ship, "payment": "bank_transfer", "discount_code": "TENOFF", **address}
    shown = cart_client.post("/shop/checkout/", _data(cart_client, apply="1", **fields)).context["totals"]
    placed = cart_client.post("/shop/checkout/", _data(cart_client, **fields))
    assert placed.status_code == 302
    order = Order.objects.get()
    assert order.shipping_amount == Decimal("4.90")  # 94.70 − 9.47 is below the 90.00 of free shipping
    assert shown["total"] == order.total_amount and shown["shipping"] > 0
