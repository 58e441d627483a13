import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.services import process_unpaid_orders
from inventory.models import Reservation
from orders.models import Order
from tests.billing.factories import placed_order
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _age(order: Order, days: float) -> Order:
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - datetime.timedelta(days=days))
    order.refresh_from_db()
    return order


def test_a_reminder_a_day_before_then_cancellation_with_stock_released():
    # given an unpaid order 6.5 days old (the store cancels after 7)
    order = _age(placed_order(prices=[Decimal("10.00")]), 6.5)
    # when
    first = process_unpaid_orders()
    second = process_unpaid_orders()
    # then one reminder, no cancellation yet
    assert first == {"cancelled": 0, "reminded": 1}
    assert second == {"cancelled": 0, "reminded": 0}
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject
    # when the deadline has passed
    _age(order, 7.1)
    result = process_unpaid_orders()
    # then
    order.refresh_from_db()
    assert result["cancelled"] == 1
    assert order.status == Order.Status.CANCELLED
    assert not Reservation.objects.filter(order_line__order=order).exists()


def test_young_paid_and_terms_orders_are_left_alone():
    young = _age(placed_order(prices=[Decimal("10.00")]), 2)
    terms = _age(placed_order(prices=[Decimal("10.00")], customer=CustomerFactory(payment_terms_days=30)), 30)
    result = process_unpaid_orders()
    assert result == {"cancelled": 0, "reminded": 0}
    young.refresh_from_db()
    terms.refresh_from_db()
    assert young.status == terms.status == Order.Status.PLACED
