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
