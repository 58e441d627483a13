from decimal import Decimal

import pytest

from shipping.exceptions import MethodNotAvailable
from shipping.models import ShippingMethod
from shipping.services import list_shipping_options, quote_shipping
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import ShippingMethodFactory, ShippingRateFactory

pytestmark = pytest.mark.django_db


def test_flat_price_when_the_method_has_no_bands():
    # given
    method = ShippingMethodFactory(price_amount=Decimal("4.90"))
    # when
    price = quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal("20.00"), weight_grams=3000)
    # then
    assert price == Decimal("4.90")


@pytest.mark.parametrize(
    ("weight", "expected"), [(0, "3.90"), (500, "3.90"), (501, "5.90"), (2000, "5.90"), (2001, "9.90")]
)
def test_weight_bands_pick_the_smallest_band_that_holds_the_parcel(weight, expected):
    # given
    method = ShippingMethodFactory(price_amount=Decimal("99.00"))
    ShippingRateFactory(method=method, max_weight_grams=2000, price_amount=Decimal("5.90"))
    ShippingRateFactory(method=method, max_weight_grams=500, price_amount=Decimal("3.90"))
    ShippingRateFactory(method=method, max_weight_grams=10000, price_amount=Decimal("9.90"))
    # when
    price = quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal("1.00"), weight_grams=weight)
    # then
    assert price == Decimal(expected)


def test_too_heavy_for_every_band_is_refused():
    # given
    method = ShippingRateFactory(max_weight_grams=1000).method
    # when / then
    with pytest.raises(MethodNotAvailable, match="cannot carry"):
        quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal("1.00"), weight_grams=1001)


@pytest.mark.parametrize(("subtotal", "expected"), [("49.99", "4.90"), ("50.00", "0.00"), ("120.00", "0.00")])
def test_free_from_the_threshold_on(subtotal, expected):
    # given
    method = ShippingMethodFactory(price_amount=Decimal("4.90"), free_above_amount=Decimal("50.00"))
    # when
    price = quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal(subtotal), weight_grams=100)
    # then
    assert price == Decimal(expected)


def test_method_limited_to_other_channels_is_refused_on_this_one():
    # given
    web, phone = ChannelFactory(code="web"), ChannelFactory(code="phone")
    method = ShippingMethodFactory()
    method.channels.add(web)
    # when / then
    assert quote_shipping(method=method, channel=web, subtotal=Decimal("1.00"), weight_grams=1) == Decimal("4.90")
    with pytest.raises(MethodNotAvailable, match="not offered on"):
        quote_shipping(method=method, channel=phone, subtotal=Decimal("1.00"), weight_grams=1)


def test_inactive_method_is_refused():
    method = ShippingMethodFactory(is_active=False)
    with pytest.raises(MethodNotAvailable):
        quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal("1.00"), weight_grams=1)


def test_pickup_is_free():
    method = ShippingMethodFactory(kind=ShippingMethod.Kind.PICKUP, price_amount=Decimal("2.00"))
    assert quote_shipping(method=method, channel=ChannelFactory(), subtotal=Decimal("1.00"), weight_grams=1) == 0


def test_options_list_what_can_carry_the_order_cheapest_first_with_one_pickup_per_point():
    # given
    channel = ChannelFactory()
    express = ShippingMethodFactory(name="Express", price_amount=Decimal("12.00"))
    standard = ShippingMethodFactory(name="Standard", price_amount=Decimal("4.90"))
    ShippingRateFactory(method=ShippingMethodFactory(name="Letter"), max_weight_grams=500)  # too heavy: left out
    ShippingMethodFactory(name="Old", is_active=False)
    pickup = ShippingMethodFactory(name="Pickup", kind=ShippingMethod.Kind.PICKUP, carrier="")
    shop = LocationFactory(code="shop", name="Shop", is_pickup_point=True)
    LocationFactory(code="warehouse", is_pickup_point=False)
    # when
    options = list_shipping_options(channel=channel, subtotal=Decimal("20.00"), weight_grams=800)
    # then
    assert [(o.method, o.price, o.location) for o in options] == [
        (pickup, Decimal("0.00"), shop),
        (standard, Decimal("4.90"), None),
        (express, Decimal("12.00"), None),
    ]
    assert options[0].label == "Pickup: Shop"
