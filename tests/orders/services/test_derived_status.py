from decimal import Decimal

import pytest

from billing.models import Payment
from orders.models import FulfilmentStatus, OrderStatus, PaymentStatus
from orders.services import (
    LineInput,
    derive_fulfilment_status,
    derive_payment_status,
    place_order,
    sync_payment_status,
)
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

D = Decimal


@pytest.mark.parametrize(
    ("paid", "refunded", "expected"),
    [
        (D("0"), D("0"), PaymentStatus.UNPAID),
        (D("50"), D("0"), PaymentStatus.PARTIALLY_PAID),
        (D("100"), D("0"), PaymentStatus.PAID),
        (D("100"), D("30"), PaymentStatus.PARTIALLY_REFUNDED),
        (D("100"), D("100"), PaymentStatus.REFUNDED),
    ],
)
def test_payment_status_follows_from_the_money(paid, refunded, expected):
    assert derive_payment_status(total=D("100"), paid=paid, refunded=refunded) == expected


@pytest.mark.parametrize(
    ("shipped", "delivered", "expected"),
    [
        (0, 0, FulfilmentStatus.UNFULFILLED),
        (1, 0, FulfilmentStatus.PARTIALLY_FULFILLED),
        (3, 0, FulfilmentStatus.FULFILLED),
        (3, 1, FulfilmentStatus.FULFILLED),
        (3, 3, FulfilmentStatus.DELIVERED),
    ],
)
def test_fulfilment_status_follows_from_the_shipments(shipped, delivered, expected):
    assert derive_fulfilment_status(ordered=3, shipped=shipped, delivered=delivered) == expected


@pytest.mark.django_db
def test_a_placed_order_paid_in_full_moves_to_processing():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, price=D("10.00"))
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)])
    Payment.objects.create(order=order, method="cash", amount=D("5.00"), currency="EUR")
    order = sync_payment_status(order=order)
    assert (order.payment_status, order.status) == (PaymentStatus.PARTIALLY_PAID, OrderStatus.PLACED)
    Payment.objects.create(order=order, method="cash", amount=order.total_amount - D("5.00"), currency="EUR")
    order = sync_payment_status(order=order)
    assert (order.payment_status, order.status) == (PaymentStatus.PAID, OrderStatus.PROCESSING)
