"""The order keeps the discount percentage it was placed with, and an edit applies the same one."""

from decimal import Decimal

import pytest

from orders.services import OrderChanges, edit_order_lines
from tests.billing.factories import placed_order
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_percentage_is_stored_and_an_edit_keeps_it_exactly():
    # given 12.5 % off one 33.33 line: 4.17 off, which read back as a percentage is 12.5112 %
    order = placed_order(prices=[D("33.33")], quantities=[1], tax_rates=[D("20")], discount_percent=D("12.5"))
    assert order.discount_percent == D("12.5")
    assert order.discount_amount == D("4.17")
    # when the quantity goes to 3 (99.99 of goods)
    line = order.lines.get()
    result = edit_order_lines(order=order, changes=OrderChanges(quantities={line.pk: 3}), by=UserFactory(role="Staff"))
    # then 12.5 % of 99.99 = 12.49875 -> 12.50 (the recovered 12.5112 % would give 12.51)
    result.order.refresh_from_db()
    assert result.order.discount_amount == D("12.50")
    assert result.order.discount_percent == D("12.50")


def test_no_discount_stores_zero_and_the_vat_breakdown():
    order = placed_order(prices=[D("10.00")], tax_rates=[D("20")])
    assert order.discount_percent == 0
    assert order.vat_breakdown == [{"rate": "20.00", "basis": "10.00", "vat": "2.00"}]
