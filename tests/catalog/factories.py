from decimal import Decimal

import factory

from catalog.models import (
    Category,
    Channel,
    CustomerGroup,
    DiscountCode,
    Price,
    PriceList,
    Product,
    TaxRate,
    Variant,
)


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate
        django_get_or_create = ("name",)

    name = "Standard"
    rate = Decimal("19.00")


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"list-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    currency = "EUR"


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = "phone"
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())
    kind = factory.LazyAttribute(lambda o: o.code if o.code in Channel.Kind.values else Channel.Kind.PHONE)
    price_list = factory.SubFactory(PriceListFactory, code=factory.SelfAttribute("..code"))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    tax_rate = factory.SubFactory(TaxRateFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    """A variant with a price in the given channel's price list (``price=``), sold there."""

    class Meta:
        model = Variant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = "M"
    weight_grams = 500

    @factory.post_generation
    def price(self, create, extracted, **kwargs):
        if not create:
            return
        channel = kwargs.get("channel") or ChannelFactory()
        Price.objects.create(price_list=channel.price_list, variant=self, amount=extracted or Decimal("10.00"))
        channel.products.add(self.product)


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    price_list = factory.SubFactory(PriceListFactory)


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    """A percent code valid on every channel, without limits, unless told otherwise."""

    class Meta:
        model = DiscountCode
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    kind = DiscountCode.Kind.PERCENT
    value = Decimal("10.00")

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if create and extracted:
            self.channels.set(extracted)
