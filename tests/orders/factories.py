from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import Address, Customer, Order


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role="Owner")`` puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Customer{n}")
    phone = factory.Sequence(lambda n: f"+49 30 {n:07d}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    name = factory.LazyAttribute(lambda o: o.customer.full_name)
    line1 = "Hauptstraße 1"
    postal_code = "10115"
    city = "Berlin"
    country = "DE"
    is_default_shipping = True
    is_default_billing = True


class OrderFactory(factory.django.DjangoModelFactory):
    """A bare order row with explicit figures, for reads (dashboards, lists).

    It does not go through ``place_order``: no lines, no stock reserved. Give ``status``,
    ``placed_at`` and ``total_amount`` as the test needs; a placed order gets a number.
    """

    class Meta:
        model = Order

    channel = factory.SubFactory("tests.catalog.factories.ChannelFactory")
    customer = factory.SubFactory(CustomerFactory)
    customer_name = factory.LazyAttribute(lambda o: o.customer.full_name if o.customer else "")
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "")
    status = Order.Status.PLACED
    number = factory.LazyAttributeSequence(lambda o, n: None if o.status == Order.Status.DRAFT else str(5001 + n))
    placed_at = factory.LazyAttribute(lambda o: None if o.status == Order.Status.DRAFT else timezone.now())
    total_amount = Decimal("10.00")
    currency = "EUR"
