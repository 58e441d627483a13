from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services import edit_order_and_correct_invoice, issue_invoice
from orders.services import OrderChanges
from tests.billing.factories import placed_order, store_with_legal_details

pytestmark = pytest.mark.django_db


def test_editing_an_invoiced_order_credits_the_invoice_and_issues_a_new_one():
    # given an order of 2 × 10.00 with its invoice
    store_with_legal_details()
    order = placed_order(prices=(Decimal("10.00"),), quantities=[2])
    first = issue_invoice(order=order)
    line = order.lines.get()
    # when the quantity goes to 3
    result = edit_order_and_correct_invoice(order=order, changes=OrderChanges(quantities={line.pk: 3}), by=None)
    # then
    assert result.invoice_needs_correction
    credit = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert credit.corrects_id == first.pk
    assert credit.total_amount == first.total_amount == Decimal("23.80")
    replacement = Invoice.objects.filter(kind=Invoice.Kind.INVOICE).exclude(pk=first.pk).get()
    assert replacement.total_amount == result.order.total_amount == Decimal("35.70")
    assert replacement.sequence_number == first.sequence_number + 1


def test_an_edit_that_keeps_the_total_leaves_the_invoice_alone():
    store_with_legal_details()
    order = placed_order(prices=(Decimal("10.00"),), quantities=[2])
    issue_invoice(order=order)
    result = edit_order_and_correct_invoice(
        order=order,
        changes=OrderChanges(shipping_address={"name": "B", "line1": "x", "postal_code": "1", "city": "c"}),
        by=None,
    )
    assert Invoice.objects.count() == 1
    assert result.order.total_amount == Decimal("23.80")
