"""The order list selector: every filter, the search, the per-order figures and a fixed query count."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderLine
from orders.selectors import get_order_list_options, list_orders
from shipping.models import Shipment, ShippingMethod
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory
from tests.orders.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def add_line(order: Order, *, sku: str = "TEE-M", quantity: int = 1, backordered: int = 0) -> OrderLine:
    return OrderLine.objects.create(
        order=order,
        sku=sku,
        product_name="T-shirt",
        quantity=quantity,
        quantity_backordered=backordered,
        unit_price_amount=Decimal("10.00"),
        tax_rate=Decimal("19.00"),
        line_total_amount=Decimal("10.00") * quantity,
    )


def numbers(query: str) -> set[str]:
    _filterset, orders = list_orders(filters=QueryDict(query))
    return {order.number for order in orders}


def method(code: str = "parcel") -> ShippingMethod:
    return ShippingMethod.objects.create(code=code, name=code.title(), price_amount=Decimal("4.90"))


# ------------------------------------------------------------------------------ filters
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=processing", {"2"}),
        ("status=placed&status=processing", {"1", "2"}),
        ("payment_status=paid", {"2"}),
        ("fulfilment_status=fulfilled", {"3"}),
        ("", {"1", "2", "3"}),
    ],
)
def test_status_filters(query, expected):
    # given
    OrderFactory(number="1")
    OrderFactory(number="2", status=Order.Status.PROCESSING, payment_status=Order.PaymentStatus.PAID)
    OrderFactory(number="3", status=Order.Status.COMPLETED, fulfilment_status=Order.FulfilmentStatus.FULFILLED)
    # when
    found = numbers(query)
    # then
    assert found == expected


def test_drafts_are_left_out_unless_asked_for():
    # given
    OrderFactory(number="1")
    draft = OrderFactory(status=Order.Status.DRAFT)
    # when
    _fs, default = list_orders(filters=QueryDict(""))
    _fs, drafts = list_orders(filters=QueryDict("status=draft"))
    # then
    assert draft not in default
    assert list(drafts) == [draft]


def test_channel_filter_takes_several_channels():
    # given
    web, shop, wholesale = (
        ChannelFactory(code="web"),
        ChannelFactory(code="in_person"),
        ChannelFactory(code="wholesale"),
    )
    OrderFactory(number="1", channel=web)
    OrderFactory(number="2", channel=shop)
    OrderFactory(number="3", channel=wholesale)
    # when
    found = numbers(f"channel={web.pk}&channel={wholesale.pk}")
    # then
    assert found == {"1", "3"}


def test_placed_date_range_is_inclusive_in_the_store_time_zone():
    # given: 23:30 in Berlin on 2 Nov is 22:30 UTC, still 2 Nov for the merchant
    OrderFactory(number="1", placed_at=datetime(2026, 11, 1, 23, 59, tzinfo=BERLIN))
    OrderFactory(number="2", placed_at=datetime(2026, 11, 2, 0, 0, tzinfo=BERLIN))
    OrderFactory(number="3", placed_at=datetime(2026, 11, 2, 23, 30, tzinfo=BERLIN))
    OrderFactory(number="4", placed_at=datetime(2026, 11, 3, 0, 0, tzinfo=BERLIN))
    # when
    found = numbers("placed_from=2026-11-02&placed_to=2026-11-02")
    # then
    assert found == {"2", "3"}


def test_total_range():
    # given
    OrderFactory(number="1", total_amount=Decimal("9.99"))
    OrderFactory(number="2", total_amount=Decimal("10.00"))
    OrderFactory(number="3", total_amount=Decimal("50.00"))
    OrderFactory(number="4", total_amount=Decimal("50.01"))
    # when
    found = numbers("total_min=10&total_max=50")
    # then
    assert found == {"2", "3"}


def test_customer_filter():
    # given
    ada = CustomerFactory()
    OrderFactory(number="1", customer=ada)
    OrderFactory(number="2")
    # when
    found = numbers(f"customer={ada.pk}")
    # then
    assert found == {"1"}


def test_has_backorder_filter_and_unticked_box_filters_nothing():
    # given
    waiting = OrderFactory(number="1")
    add_line(waiting, sku="A", quantity=3, backordered=2)
    add_line(waiting, sku="B", quantity=1, backordered=1)
    complete = OrderFactory(number="2")
    add_line(complete, sku="A", quantity=3)
    # when
    ticked = numbers("backordered=on")
    unticked = numbers("backordered=")
    # then: once, not once per backordered line
    _fs, orders = list_orders(filters=QueryDict("backordered=on"))
    assert orders.count() == 1
    assert ticked == {"1"}
    assert unticked == {"1", "2"}


def test_needs_review_filter():
    # given
    OrderFactory(number="1", needs_review=True)
    OrderFactory(number="2")
    # when
    found = numbers("needs_review=on")
    # then
    assert found == {"1"}


def test_shipping_method_and_pickup_location_filters():
    # given
    parcel, express = method("parcel"), method("express")
    shop = LocationFactory(code="shop", is_pickup_point=True)
    OrderFactory(number="1", shipping_method=parcel)
    OrderFactory(number="2", shipping_method=express)
    OrderFactory(number="3", pickup_location=shop)
    # when
    by_method = numbers(f"shipping_method={parcel.pk}")
    by_pickup = numbers(f"pickup_location={shop.pk}")
    # then
    assert by_method == {"1"}
    assert by_pickup == {"3"}


def test_an_unknown_channel_is_an_invalid_filter_and_gives_no_rows():
    # given
    OrderFactory(number="1")
    # when
    filterset, orders = list_orders(filters=QueryDict("channel=999999"))
    # then
    assert not filterset.is_valid()
    assert list(orders) == []


# ------------------------------------------------------------------------------ search
@pytest.mark.parametrize(
    "term",
    ["1042", "#1042", "ada.lovelace@example.com", "LOVELACE", "+49 30 1234567", "030 1234567", "AMZ-77", "TRK-TOKEN"],
)
def test_search_finds_an_order_by_what_the_merchant_has_at_hand(term):
    # given
    customer = CustomerFactory(email="ada.lovelace@example.com", phone="+49 30 1234567", last_name="Lovelace")
    OrderFactory(
        number="1042",
        customer=customer,
        customer_name="Ada Lovelace",
        email="ada.lovelace@example.com",
        phone="+49 30 1234567",
        external_reference="AMZ-77",
        tracking_code="TRK-TOKEN",
    )
    OrderFactory(number="2000", customer_name="Grace Hopper", email="grace@example.com", phone="+1 555 0100")
    # when
    found = numbers(f"q={term.replace('+', '%2B').replace('#', '%23')}")
    # then
    assert found == {"1042"}


def test_search_by_sku_lists_each_order_once():
    # given
    two_lines = OrderFactory(number="1")
    add_line(two_lines, sku="MUG-RED")
    add_line(two_lines, sku="MUG-RED", quantity=2)
    other = OrderFactory(number="2")
    add_line(other, sku="MUG-BLUE")
    # when
    _fs, orders = list_orders(filters=QueryDict("q=mug-red"))
    # then
    assert [o.number for o in orders] == ["1"]
    assert orders.count() == 1


def test_search_by_carrier_tracking_number():
    # given
    order = OrderFactory(number="1")
    OrderFactory(number="2")
    Shipment.objects.create(order=order, method=method(), location=LocationFactory(), tracking_number="00340434")
    # when
    found = numbers("q=00340434")
    # then
    assert found == {"1"}


# ------------------------------------------------------------------------------ figures, sort, queries
def test_rows_carry_line_and_item_counts_and_the_backorder_flag():
    # given
    order = OrderFactory(number="1")
    add_line(order, sku="A", quantity=2)
    add_line(order, sku="B", quantity=3, backordered=1)
    OrderFactory(number="2")
    # when
    _fs, orders = list_orders(filters=QueryDict("o=number"))
    first, second = list(orders)
    # then
    assert (first.line_count, first.item_count, first.has_backorder) == (2, 5, True)
    assert (second.line_count, second.item_count, second.has_backorder) == (0, 0, False)


def test_sort_by_total_with_id_as_tie_breaker_and_unknown_keys_ignored():
    # given
    a = OrderFactory(number="1", total_amount=Decimal("5.00"))
    b = OrderFactory(number="2", total_amount=Decimal("20.00"))
    c = OrderFactory(number="3", total_amount=Decimal("5.00"))
    # when
    _fs, ascending = list_orders(filters=QueryDict("o=total"))
    _fs, descending = list_orders(filters=QueryDict("o=-total"))
    filterset, unknown = list_orders(filters=QueryDict("o=password"))
    # then
    assert list(ascending) == [a, c, b]
    assert list(descending) == [b, c, a]
    assert not filterset.errors
    assert unknown.count() == 3


def _page_queries(size: int) -> int:
    _fs, orders = list_orders(filters=QueryDict("q=ada&status=placed&backordered="))
    with CaptureQueriesContext(connection) as ctx:
        rows = list(orders[:size])
        shown = [
            (o.channel.name, o.customer, o.shipping_method, o.pickup_location, o.line_count, o.has_backorder)
            for o in rows
        ]
    assert len(shown) == size
    return len(ctx.captured_queries)


def test_a_page_costs_one_query_whatever_its_size():
    # given
    channel = ChannelFactory()
    for _ in range(10):
        add_line(OrderFactory(channel=channel, customer_name="Ada"), quantity=2)
    few = _page_queries(10)
    for _ in range(90):
        add_line(OrderFactory(channel=channel, customer_name="Ada"), quantity=2)
    # when
    many = _page_queries(100)
    # then
    assert few == many == 1


def test_options_come_in_one_query_with_only_the_users_own_views():
    # given
    ChannelFactory(name="Web shop")
    method("parcel")
    LocationFactory(code="mitte", name="Shop Mitte", is_pickup_point=True)
    LocationFactory(name="Warehouse", is_pickup_point=False)
    me, other = UserFactory(), UserFactory()
    me.saved_order_views.create(name="Mine", query_string="status=placed", position=1)
    other.saved_order_views.create(name="Theirs", query_string="")
    # when
    with CaptureQueriesContext(connection) as ctx:
        options = get_order_list_options(user=me)
    # then
    assert len(ctx.captured_queries) == 1
    assert [name for _pk, name in options.choices.channels] == ["Web shop"]
    assert [name for _pk, name in options.choices.shipping_methods] == ["Parcel"]
    assert [name for _pk, name in options.choices.pickup_locations] == ["Shop Mitte"]
    assert [(v.name, v.query_string) for v in options.saved_views] == [("Mine", "status=placed")]
