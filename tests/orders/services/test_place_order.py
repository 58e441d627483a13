from decimal import Decimal
from unittest.mock import patch

import pytest

from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from orders.exceptions import DuplicateOrder, InvalidOrder
from orders.models import Order, OrderEvent
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, CustomerGroupFactory, VariantFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_place_order_reserves_stock_numbers_and_prices_the_order(django_capture_on_commit_callbacks, settings):
    # given
    channel = ChannelFactory(code="phone")
    shirt = stocked_variant(channel=channel, on_hand=5, price=Decimal("19.99"))
    mug = stocked_variant(channel=channel, on_hand=3, price=Decimal("8.50"))
    customer = CustomerFactory()
    # when
    with (
        patch("orders.services.placement.send_order_email_task") as email_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = place_order(
            channel=channel,
            customer=customer,
            lines=[LineInput(variant=shirt, quantity=2), LineInput(variant=mug, quantity=3)],
            shipping_amount=Decimal("4.90"),
        )
    # then
    assert order.status == Order.Status.PLACED
    assert order.number == str(settings.ORDER_NUMBER_START + order.pk)
    assert len(order.tracking_code) >= 22
    assert order.subtotal_amount == Decimal("65.48")  # 39.98 + 25.50
    assert order.tax_amount == Decimal("13.37")  # 19 % of (65.48 + 4.90) = 13.3722
    assert order.total_amount == Decimal("83.75")
    assert order.email == customer.email
    assert StockLevel.objects.get(variant=shirt).reserved == 2
    assert StockLevel.objects.get(variant=mug).reserved == 3
    assert order.events.filter(kind=OrderEvent.Kind.PLACED).exists()
    email_task.delay.assert_called_once_with(order_id=order.pk, kind="placed")


def test_vat_is_computed_per_rate_on_the_sum_of_nets_not_per_line():
    # given three lines of 0.05 at 19 %: per line 0.0095 → 0.01 each = 0.03; on the sum 0.15 → 0.0285 → 0.03
    # and two lines of 0.10 at 7 % + 19 %: rates kept apart
    channel = ChannelFactory()
    variants = [stocked_variant(channel=channel, price=Decimal("0.05")) for _ in range(3)]
    # when
    order = place_order(channel=channel, lines=[LineInput(variant=v, quantity=1) for v in variants])
    # then
    assert order.subtotal_amount == Decimal("0.15")
    assert order.tax_amount == Decimal("0.03")


def test_discount_percent_is_an_allowance_before_vat():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, price=Decimal("100.00"))
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)], discount_percent=Decimal("10"))
    assert order.discount_amount == Decimal("10.00")
    assert order.tax_amount == Decimal("17.10")
    assert order.total_amount == Decimal("107.10")


def test_customer_group_price_list_overrides_the_channel_and_tiers_apply():
    # given
    channel = ChannelFactory(code="wholesale")
    variant = stocked_variant(channel=channel, on_hand=100, price=Decimal("10.00"))
    group = CustomerGroupFactory()
    group.price_list.prices.create(variant=variant, min_quantity=1, amount=Decimal("7.00"))
    group.price_list.prices.create(variant=variant, min_quantity=50, amount=Decimal("6.00"))
    buyer = CustomerFactory(group=group)
    # when
    small = place_order(channel=channel, customer=buyer, lines=[LineInput(variant=variant, quantity=10)])
    large = place_order(channel=channel, customer=buyer, lines=[LineInput(variant=variant, quantity=50)])
    anonymous = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)])
    # then
    assert small.lines.get().unit_price_amount == Decimal("7.00")
    assert large.lines.get().unit_price_amount == Decimal("6.00")
    assert anonymous.lines.get().unit_price_amount == Decimal("10.00")


def test_insufficient_stock_refuses_everything_and_names_each_short_sku():
    # given
    channel = ChannelFactory()
    plenty = stocked_variant(channel=channel, on_hand=10, sku="PLENTY")
    short = stocked_variant(channel=channel, on_hand=1, sku="SHORT")
    # when
    with pytest.raises(InsufficientStock) as refusal:
        place_order(
            channel=channel, lines=[LineInput(variant=plenty, quantity=2), LineInput(variant=short, quantity=3)]
        )
    # then
    assert "SHORT: 3 requested, 1 available" in refusal.value.message
    assert [s.sku for s in refusal.value.shortages] == ["SHORT"]
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()
    assert StockLevel.objects.get(variant=plenty).reserved == 0


def test_backorderable_variant_takes_what_there_is_and_backorders_the_rest():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=2, allow_backorder=True)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=5)])
    line = order.lines.get()
    assert line.quantity_backordered == 3
    assert StockLevel.objects.get(variant=variant).reserved == 2


def test_a_line_is_split_across_locations_by_priority():
    channel = ChannelFactory()
    warehouse = LocationFactory(code="warehouse", priority=10)
    shop = LocationFactory(code="shop", priority=20)
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=3)
    shop.channels.add(channel)
    from inventory.services import receive_stock

    receive_stock(variant=variant, location=shop, quantity=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=6)])
    assert StockLevel.objects.get(variant=variant, location=warehouse).reserved == 3
    assert StockLevel.objects.get(variant=variant, location=shop).reserved == 3


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(0, "above zero"), (-1, "above zero"), (10_001, "at most")],
)
def test_bad_quantities_are_refused(quantity, message):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel)
    with pytest.raises(InvalidOrder, match=message):
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=quantity)])
    assert not Order.objects.exists()


def test_no_lines_and_unsold_variants_are_refused():
    channel = ChannelFactory(code="web")
    other = ChannelFactory(code="wholesale")
    wholesale_only = stocked_variant(channel=other, sku="WS-ONLY")
    with pytest.raises(InvalidOrder, match="at least one"):
        place_order(channel=channel, lines=[])
    with pytest.raises(InvalidOrder, match="WS-ONLY"):
        place_order(channel=channel, lines=[LineInput(variant=wholesale_only, quantity=1)])
    assert not Order.objects.exists()


def test_variant_without_price_is_refused():
    channel = ChannelFactory()
    variant = VariantFactory(price=Decimal("1.00"), price__channel=ChannelFactory(code="other"))
    channel.products.add(variant.product)
    with pytest.raises(InvalidOrder, match="No price"):
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)])


def test_same_external_reference_on_a_channel_is_never_placed_twice():
    channel = ChannelFactory(code="marketplace")
    variant = stocked_variant(channel=channel, on_hand=5)
    first = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)], external_reference="MP-1")
    with pytest.raises(DuplicateOrder) as refusal:
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)], external_reference="MP-1")
    assert refusal.value.existing_number == first.number
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).reserved == 1


def test_pickup_location_must_be_a_pickup_point():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel)
    warehouse = LocationFactory(code="warehouse", is_pickup_point=False)
    with pytest.raises(InvalidOrder, match="not a pickup point"):
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)], pickup_location=warehouse)
