from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice
from billing.services import place_order_and_invoice_on_terms
from orders.models import Order
from orders.services import LineInput, OrderEntry
from tests.billing.factories import store_with_legal_details
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _entry(customer):
    channel = ChannelFactory(code="wholesale")
    variant = stocked_variant(channel=channel, on_hand=50, price=Decimal("10.00"))
    return OrderEntry(channel=channel, customer=customer, lines=[LineInput(variant=variant, quantity=10)])


def test_a_customer_on_terms_is_invoiced_at_placement_with_a_due_date():
    # given
    store_with_legal_details()
    buyer = CustomerFactory(payment_terms_days=30)
    # when
    order = place_order_and_invoice_on_terms(entry=_entry(buyer))
    # then
    invoice = Invoice.objects.get(order=order)
    assert invoice.kind == Invoice.Kind.INVOICE
    assert invoice.due_date == (timezone.localdate() + timedelta(days=30))
    assert invoice.total_amount == order.total_amount


def test_a_customer_who_pays_first_gets_no_invoice_yet():
    store_with_legal_details()
    order = place_order_and_invoice_on_terms(entry=_entry(CustomerFactory()))
    assert order.status == Order.Status.PLACED
    assert not Invoice.objects.exists()


def test_missing_store_details_leave_the_order_placed_without_an_invoice():
    order = place_order_and_invoice_on_terms(entry=_entry(CustomerFactory(payment_terms_days=30)))
    assert Order.objects.filter(pk=order.pk, status=Order.Status.PLACED).exists()
    assert not Invoice.objects.exists()
