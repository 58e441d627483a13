"""The stock overview: what it shows, how it filters and sorts, and what a page costs."""

import pytest
from django.urls import reverse

from inventory.services import receive_stock
from orders.models import OrderLine
from orders.services import LineInput, place_order
from tests.catalog.factories import CategoryFactory, ChannelFactory, ProductFactory
from tests.inventory.factories import LocationFactory, stocked_variant

pytestmark = pytest.mark.django_db

URL = reverse("inventory:stock-list")


def _skus(response) -> list[str]:
    return [level.variant.sku for level in response.context["page"].object_list]


def test_anonymous_is_sent_to_login(client):
    # when
    response = client.get(URL)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_may_look_but_gets_no_stock_actions(staff_client):
    # given
    stocked_variant(sku="LOOK-1")

    # when
    response = staff_client.get(URL)

    # then
    assert response.status_code == 200
    assert b"LOOK-1" in response.content
    assert reverse("inventory:stock-receive").encode() not in response.content


def test_row_shows_levels_available_threshold_and_low_badge(warehouse_client):
    # given
    variant = stocked_variant(sku="LOW-1", on_hand=3, low_stock_threshold=5)
    stocked_variant(sku="FULL-1", on_hand=50)

    # when
    response = warehouse_client.get(URL)

    # then
    html = response.content.decode()
    rows = {level.variant.sku: level for level in response.context["page"].object_list}
    assert rows["LOW-1"].available_qty == 3
    assert rows["LOW-1"].threshold == 5
    assert rows["LOW-1"].is_low is True
    assert rows["FULL-1"].is_low is False
    assert "Low stock" in html
    assert reverse("inventory:stock-card", args=[variant.sku]) in html


def test_search_matches_sku_barcode_and_product_name(warehouse_client):
    # given
    stocked_variant(sku="TEE-M", product__name="Linen shirt")
    stocked_variant(sku="MUG-1", barcode="4006381333931", product__name="Mug")
    stocked_variant(sku="CAP-1", product__name="Cap")

    # then
    assert _skus(warehouse_client.get(URL, {"q": "tee"})) == ["TEE-M"]
    assert _skus(warehouse_client.get(URL, {"q": "4006381333931"})) == ["MUG-1"]
    assert _skus(warehouse_client.get(URL, {"q": "linen"})) == ["TEE-M"]


def test_filters_by_location_and_category_and_keeps_them_in_links(warehouse_client):
    # given
    store = LocationFactory(code="store")
    shoes = CategoryFactory(name="Shoes")
    stocked_variant(sku="SHOE-1", product=ProductFactory(category=shoes))
    stocked_variant(sku="SHOE-2", product=ProductFactory(category=shoes), location=store)
    stocked_variant(sku="HAT-1")

    # when
    response = warehouse_client.get(URL, {"category": shoes.pk, "location": store.pk})

    # then
    assert _skus(response) == ["SHOE-2"]
    assert f"category={shoes.pk}" in response.context["export_url"]
    sku_column = response.context["columns"][0]
    assert f"location={store.pk}" in sku_column["url"]
    assert f"category={shoes.pk}" in sku_column["url"]


def test_low_stock_only_uses_the_level_threshold_before_the_variant_one(warehouse_client):
    # given
    stocked_variant(sku="A-LOW", on_hand=5, low_stock_threshold=5)  # at the threshold: low
    stocked_variant(sku="B-OK", on_hand=6, low_stock_threshold=5)
    own = stocked_variant(sku="C-OWN", on_hand=8, low_stock_threshold=5)
    own.stock_levels.update(low_stock_threshold=10)  # the level's own threshold wins

    # when
    response = warehouse_client.get(URL, {"low": "on"})

    # then
    assert _skus(response) == ["A-LOW", "C-OWN"]
    assert 'data-testid="reorder">5<' in response.content.decode()  # nothing sold: the threshold


def test_backordered_shows_variants_that_open_orders_wait_for(warehouse_client):
    # given
    channel = ChannelFactory()
    location = LocationFactory()
    waiting = stocked_variant(sku="WAIT-1", channel=channel, location=location, on_hand=1, allow_backorder=True)
    stocked_variant(sku="NOWAIT-1", channel=channel, location=location, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=waiting, quantity=3)])
    assert OrderLine.objects.get(variant=waiting).quantity_backordered == 2

    # when
    response = warehouse_client.get(URL, {"backordered": "on"})

    # then
    assert _skus(response) == ["WAIT-1"]


def test_columns_sort_both_ways(warehouse_client):
    # given
    stocked_variant(sku="S-1", on_hand=7)
    stocked_variant(sku="S-2", on_hand=2)
    stocked_variant(sku="S-3", on_hand=9)

    # then
    assert _skus(warehouse_client.get(URL, {"o": "available"})) == ["S-2", "S-1", "S-3"]
    assert _skus(warehouse_client.get(URL, {"o": "-available"})) == ["S-3", "S-1", "S-2"]
    assert 'aria-sort="descending"' in warehouse_client.get(URL, {"o": "-on_hand"}).content.decode()


def test_paginates_with_the_total_count(warehouse_client):
    # given
    location = LocationFactory()
    for _n in range(55):
        stocked_variant(location=location, on_hand=1)

    # when
    second = warehouse_client.get(URL, {"page": 2})

    # then
    assert len(second.context["page"].object_list) == 5
    assert "51–55 of 55" in second.content.decode()


def test_empty_state_says_what_to_do(warehouse_client):
    # when
    response = warehouse_client.get(URL)

    # then
    assert "Receive your first delivery" in response.content.decode()


def test_no_match_offers_to_clear_the_filters(warehouse_client):
    # given
    stocked_variant(sku="ANY-1")

    # when
    response = warehouse_client.get(URL, {"q": "nothing-like-this"})

    # then
    assert "No stock levels match these filters." in response.content.decode()


@pytest.mark.parametrize("rows", [10, 50])
def test_a_page_costs_a_fixed_number_of_queries(warehouse_client, django_assert_max_num_queries, rows):
    # given: levels at two locations, some of them low
    location = LocationFactory()
    store = LocationFactory(code="store")
    for n in range(rows):
        variant = stocked_variant(location=location, on_hand=n % 8)
        if n % 2:
            receive_stock(variant=variant, location=store, quantity=2)

    # when / then: the same bound for 10 and for 50 rows
    with django_assert_max_num_queries(10):
        response = warehouse_client.get(URL, {"low": "on", "o": "-available", "q": "SKU"})
    with django_assert_max_num_queries(10):
        everything = warehouse_client.get(URL)
    assert response.status_code == 200
    assert len(everything.context["page"].object_list) == min(rows + rows // 2, 50)
