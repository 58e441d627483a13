import factory

from inventory.models import Location, StockLevel
from tests.catalog.factories import VariantFactory


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = "warehouse"
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = Location.Kind.WAREHOUSE


class StockLevelFactory(factory.django.DjangoModelFactory):
    """A level created empty; tests give it stock through ``receive_stock`` so the ledger agrees."""

    class Meta:
        model = StockLevel

    variant = factory.SubFactory(VariantFactory)
    location = factory.SubFactory(LocationFactory)


def stocked_variant(*, channel=None, location=None, on_hand: int = 10, price=None, **variant_kwargs):
    """A variant sold on ``channel``, with ``on_hand`` units received at ``location`` (which serves it).

    Stock goes in through ``receive_stock`` so that the ledger and the level agree.
    """
    from decimal import Decimal

    from inventory.services import receive_stock
    from tests.catalog.factories import ChannelFactory

    channel = channel or ChannelFactory()
    location = location or LocationFactory()
    location.channels.add(channel)
    variant = VariantFactory(price=price or Decimal("10.00"), price__channel=channel, **variant_kwargs)
    if on_hand:
        receive_stock(variant=variant, location=location, quantity=on_hand)
    else:
        StockLevelFactory(variant=variant, location=location)
    return variant
