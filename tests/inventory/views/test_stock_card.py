"""A variant's stock card: its levels per location and the ledger with a running balance."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config import roles
from inventory.models import StockMovement
from inventory.services import adjust_stock, consume_reserved_stock, receive_stock, transfer_stock
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, VariantFactory
from tests.inventory.factories import LocationFactory
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(variant) -> str:
    return reverse("inventory:stock-card", args=[variant.sku])


def test_unknown_sku_is_404(warehouse_client):
    # when
    response = warehouse_client.get(reverse("inventory:stock-card", args=["NOPE"]))

    # then
    assert response.status_code == 404


def test_ledger_is_newest_first_with_a_running_balance_per_location(warehouse_client, warehouse_user):
    # given
    variant = VariantFactory(sku="CARD-1")
    warehouse = LocationFactory(code="warehouse")
    store = LocationFactory(code="store")
    receive_stock(variant=variant, location=warehouse, quantity=10, by=warehouse_user, reason="PO 1")
    transfer_stock(variant=variant, from_location=warehouse, to_location=store, quantity=4)
    adjust_stock(variant=variant, location=warehouse, delta=-1, reason="Damaged: dropped")
    # Same timestamp for two rows: the id decides their order.
    StockMovement.objects.update(created_at=timezone.now() - timedelta(days=1))

    # when
    response = warehouse_client.get(_url(variant))

    # then
    assert response.status_code == 200
    rows = [(m.kind, m.location.code, m.quantity, m.balance) for m in response.context["ledger"].object_list]
    assert rows == [
        ("adjustment", "warehouse", -1, 5),
        ("transfer_in", "store", 4, 4),
        ("transfer_out", "warehouse", -4, 6),
        ("receipt", "warehouse", 10, 10),
    ]
    html = response.content.decode()
    assert "Damaged: dropped" in html
    assert "−4" in html and "+10" in html
    assert warehouse_user.get_username() in html
    levels = {level.location.code: level.on_hand for level in response.context["levels"]}
    assert levels == {"warehouse": 5, "store": 4}


def test_balance_on_a_later_page_counts_the_rows_before_it(warehouse_client):
    # given: 30 receipts of 1, the second page shows the oldest five
    variant = VariantFactory()
    location = LocationFactory()
    for _n in range(30):
        receive_stock(variant=variant, location=location, quantity=1)

    # when
    response = warehouse_client.get(_url(variant), {"page": 2})

    # then
    assert [m.balance for m in response.context["ledger"].object_list] == [5, 4, 3, 2, 1]


def test_a_sale_links_to_its_order(warehouse_client):
    # given
    channel = ChannelFactory()
    location = LocationFactory()
    location.channels.add(channel)
    variant = VariantFactory(price__channel=channel)
    receive_stock(variant=variant, location=location, quantity=3)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    consume_reserved_stock(order_line_id=order.lines.get().pk, location=location, quantity=2)

    # when
    response = warehouse_client.get(_url(variant))

    # then
    html = response.content.decode()
    assert f"Order #{order.number}" in html
    assert "Shipped / sold" in html


def test_the_card_costs_the_same_queries_for_a_long_history(warehouse_client, django_assert_max_num_queries):
    # given
    variant = VariantFactory()
    locations = [LocationFactory(code=f"loc-{n}") for n in range(3)]
    for n in range(40):
        receive_stock(variant=variant, location=locations[n % 3], quantity=1)

    # when / then
    with django_assert_max_num_queries(10):
        response = warehouse_client.get(_url(variant))
    assert response.status_code == 200


def test_actions_link_to_the_forms_with_the_sku(client):
    # given
    variant = VariantFactory(sku="ACT-1")

    # when
    client.force_login(UserFactory(role=roles.WAREHOUSE))
    warehouse_page = client.get(_url(variant)).content.decode()
    client.force_login(UserFactory(role=roles.STAFF))
    staff_page = client.get(_url(variant)).content.decode()

    # then
    assert f"{reverse('inventory:stock-receive')}?sku=ACT-1" in warehouse_page
    assert reverse("inventory:stock-receive") not in staff_page
