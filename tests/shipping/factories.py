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
