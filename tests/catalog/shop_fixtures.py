"""A small web shop for the storefront tests: a web channel, stock, pickup and delivery."""

from decimal import Decimal

from inventory.models import Location
from shipping.models import ShippingMethod
from tests.catalog.factories import CategoryFactory, ChannelFactory, ProductFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.shipping.factories import ShippingMethodFactory


def make_web_shop():
    """The web channel, a shop location that is a pickup point, delivery and pickup methods."""
    channel = ChannelFactory(code="web", name="Web shop", kind="web")
    shop = LocationFactory(
        code="shop", name="Main Street shop", kind=Location.Kind.STORE, is_pickup_point=True, city="Berlin"
    )
    shop.channels.add(channel)
    ShippingMethodFactory(code="parcel", name="Parcel", price_amount=Decimal("4.90"))
    ShippingMethodFactory(code="pickup", name="Pickup", kind=ShippingMethod.Kind.PICKUP, price_amount=Decimal("0"))
    return channel


def web_variant(channel, *, on_hand=10, price=Decimal("10.00"), product=None, **kwargs):
    """A variant sold on the web channel with ``on_hand`` units at the shop."""
    kwargs.setdefault("low_stock_threshold", 3)
    if product is not None:
        kwargs["product"] = product
    return stocked_variant(
        channel=channel, location=LocationFactory(code="shop"), on_hand=on_hand, price=price, **kwargs
    )


def category_with_products(channel, *, count=3):
    category = CategoryFactory()
    variants = [web_variant(channel, product=ProductFactory(category=category)) for _ in range(count)]
    return category, variants
