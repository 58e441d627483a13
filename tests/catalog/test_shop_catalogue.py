"""The storefront's catalogue pages: only what the web channel sells, its prices with VAT,
live availability that matches the inventory, and a fixed number of queries per page."""

from decimal import Decimal

import pytest

from inventory.selectors import get_availability
from orders.services import LineInput, place_order
from tests.catalog.factories import CategoryFactory, ChannelFactory, ProductFactory, VariantFactory
from tests.catalog.shop_fixtures import category_with_products, make_web_shop, web_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return make_web_shop()


def test_the_shop_answers_404_without_a_web_channel(client):
    ChannelFactory(code="phone")
    assert client.get("/shop/").status_code == 404


def test_home_lists_the_web_channels_categories_and_products_with_gross_prices(client, web):
    # given a product at 10.00 net with 19 % VAT, and one sold only by phone
    variant = web_variant(web, price=Decimal("10.00"))
    phone_only = VariantFactory(price=Decimal("5.00"), price__channel=ChannelFactory(code="phone"))
    # when
    response = client.get("/shop/")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert variant.product.name in body
    assert variant.product.category.name in body
    assert "€11.90" in body
    assert phone_only.product.name not in body


@pytest.mark.parametrize(
    ("on_hand", "reserve", "backorder", "words"),
    [
        (10, 0, False, "In stock"),
        (10, 7, False, "Only 3 left"),
        (1, 0, False, "Only 1 left"),
        (2, 2, False, "Out of stock"),
        (0, 0, True, "Available on backorder"),
    ],
)
def test_product_page_availability_matches_the_inventory(client, web, on_hand, reserve, backorder, words):
    # given
    variant = web_variant(web, on_hand=on_hand, allow_backorder=backorder)
    if reserve:
        place_order(channel=web, lines=[LineInput(variant=variant, quantity=reserve)])
    available = get_availability(variant_ids=[variant.pk], channel_id=web.pk)[variant.pk]
    assert available == on_hand - reserve
    # when
    response = client.get(f"/shop/p/{variant.product.slug}/")
    # then
    assert response.status_code == 200
    assert words in response.content.decode()


def test_a_product_page_shows_each_variant_with_its_price_and_stock(client, web):
    product = ProductFactory(name="Linen shirt")
    small = web_variant(web, product=product, name="S", on_hand=2, price=Decimal("20.00"))
    web_variant(web, product=product, name="L", on_hand=0, price=Decimal("22.00"))
    body = client.get(f"/shop/p/{product.slug}/").content.decode()
    assert "€23.80" in body and "€26.18" in body
    assert "Only 2 left" in body and "Out of stock" in body
    assert f'value="{small.pk}" checked' in body


def test_products_the_web_channel_does_not_sell_are_404(client, web):
    # given a product sold by phone only, an inactive one, and one without a web price
    phone_only = VariantFactory(price__channel=ChannelFactory(code="phone"))
    inactive = web_variant(web)
    inactive.product.is_active = False
    inactive.product.save()
    # then
    assert client.get(f"/shop/p/{phone_only.product.slug}/").status_code == 404
    assert client.get(f"/shop/p/{inactive.product.slug}/").status_code == 404
    assert client.get("/shop/p/no-such-thing/").status_code == 404
    assert client.get(f"/shop/c/{phone_only.product.category.slug}/").status_code == 404
    assert client.get(f"/shop/c/{CategoryFactory().slug}/").status_code == 404


def test_search_finds_by_name_and_sku_only_on_the_web_channel(client, web):
    shirt = web_variant(web, product=ProductFactory(name="Linen shirt"))
    mug = web_variant(web, product=ProductFactory(name="Stoneware mug"))
    phone_only = VariantFactory(product=ProductFactory(name="Linen towel"), price__channel=ChannelFactory(code="phone"))
    body = client.get("/shop/search/", {"q": "linen"}).content.decode()
    assert "Linen shirt" in body and "Stoneware mug" not in body and "Linen towel" not in body
    body = client.get("/shop/search/", {"q": mug.sku.lower()}).content.decode()
    assert "Stoneware mug" in body and shirt.product.name not in body
    assert phone_only.sku
    assert client.get("/shop/search/", {"q": "x" * 500}).status_code == 200
    assert "No product matches" in client.get("/shop/search/", {"q": "zzz"}).content.decode()


def test_a_category_page_lists_its_products(client, web):
    category, variants = category_with_products(web, count=2)
    other = web_variant(web)
    body = client.get(f"/shop/c/{category.slug}/").content.decode()
    assert all(v.product.name in body for v in variants)
    assert other.product.name not in body


@pytest.mark.parametrize("count", [2, 12])
def test_catalogue_pages_cost_a_fixed_number_of_queries(client, web, django_assert_max_num_queries, count):
    category, variants = category_with_products(web, count=count)
    product = variants[0].product
    for n in range(count):
        web_variant(web, product=product, name=f"V{n}")
    for path in ("/shop/", f"/shop/c/{category.slug}/", "/shop/search/?q=Product", f"/shop/p/{product.slug}/"):
        with django_assert_max_num_queries(9):
            assert client.get(path).status_code == 200


def test_a_price_list_with_vat_included_is_shown_as_entered(client, web):
    web.price_list.prices_include_tax = True
    web.price_list.save()
    variant = web_variant(web, price=Decimal("11.90"))
    body = client.get(f"/shop/p/{variant.product.slug}/").content.decode()
    assert "€11.90" in body and "€14.16" not in body
