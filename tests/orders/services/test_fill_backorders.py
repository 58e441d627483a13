import pytest

from inventory.models import StockLevel
from orders.models import OrderEvent
from orders.services import LineInput, cancel_order, place_order, receive_stock_and_fill_backorders
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant

pytestmark = pytest.mark.django_db


def test_received_stock_goes_to_waiting_backorders_oldest_first():
    # given two orders waiting for 3 and 4 units, and a cancelled one that waits for nothing
    channel = ChannelFactory()
    warehouse = LocationFactory(code="warehouse")
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=0, allow_backorder=True)
    older = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    newer = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=4)])
    gone = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=5)])
    cancel_order(order=gone)
    # when 5 units arrive
    level = receive_stock_and_fill_backorders(variant=variant, location=warehouse, quantity=5)
    # then the older order is filled, the newer gets the remaining 2
    assert (level.on_hand, level.reserved) == (5, 5)
    assert older.lines.get().quantity_backordered == 0
    assert newer.lines.get().quantity_backordered == 2
    assert gone.lines.get().quantity_backordered == 5
    assert older.events.filter(kind=OrderEvent.Kind.STOCK, message__contains="3 ×").exists()


def test_a_location_fills_only_the_channels_it_serves():
    web = ChannelFactory(code="web")
    warehouse = LocationFactory(code="warehouse")
    shop = LocationFactory(code="shop")
    variant = stocked_variant(channel=web, location=warehouse, on_hand=0, allow_backorder=True)
    order = place_order(channel=web, lines=[LineInput(variant=variant, quantity=2)])
    receive_stock_and_fill_backorders(variant=variant, location=shop, quantity=2)
    assert order.lines.get().quantity_backordered == 2
    assert StockLevel.objects.get(variant=variant, location=shop).reserved == 0
