from decimal import Decimal

import factory

from shipping.models import ShippingMethod, ShippingRate


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    code = factory.Sequence(lambda n: f"method-{n}")
    name = factory.Sequence(lambda n: f"Parcel {n}")
    kind = ShippingMethod.Kind.DELIVERY
    carrier = "DHL"
    price_amount = Decimal("4.90")


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    method = factory.SubFactory(ShippingMethodFactory)
    max_weight_grams = 1000
    price_amount = Decimal("4.90")


def placed_order(*, quantities=(3,), on_hand: int = 10, location=None, channel=None, email="ada@example.com", **kw):
    """An order placed through ``place_order``: one line per quantity, its stock reserved at ``location``."""
    from orders.services import LineInput, place_order
    from tests.catalog.factories import ChannelFactory
    from tests.inventory.factories import LocationFactory, stocked_variant

    channel = channel or ChannelFactory()
    location = location or LocationFactory()
    variants = [stocked_variant(channel=channel, location=location, on_hand=on_hand) for _q in quantities]
    return place_order(
        channel=channel,
        email=email,
        customer_name="Ada Lovelace",
        shipping_address={"name": "Ada Lovelace", "line1": "Geheimweg 7", "postal_code": "10115", "city": "Berlin"},
        lines=[LineInput(variant=v, quantity=q) for v, q in zip(variants, quantities, strict=True)],
        **kw,
    )


def pay(order):
    """Record a verified payment of the whole total, as billing would, and sync the order."""
    from billing.models import Payment
    from orders.services import sync_payment_status

    Payment.objects.create(order=order, method="cash", amount=order.total_amount)
    return sync_payment_status(order=order)


class CarrierAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "shipping.CarrierAccount"
        django_get_or_create = ("code",)

    code = "dhl"
    name = "DHL"
    kind = "manifest"
    secret = "s3cret-signing-key"
