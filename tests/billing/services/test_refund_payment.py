from decimal import Decimal

import pytest
from django.utils import timezone

from billing.exceptions import RefundRefused
from billing.models import Invoice, Payment
from billing.services import record_payment, refund_payment
from orders.models import Order
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def paid_order():
    store_with_legal_details()
    order = placed_order(prices=[D("100.00"), D("50.00")], tax_rates=[D("19.00"), D("7.00")])
    record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    order.refresh_from_db()
    return order


def test_partial_refund_issues_a_credit_note_split_over_the_rates(paid_order):
    # given
    staff = UserFactory(role="Staff")
    # when
    refund = refund_payment(order=paid_order, amount=D("50.00"), reason="Damaged in transit", by=staff)
    # then
    paid_order.refresh_from_db()
    assert refund.kind == Payment.Kind.REFUND
    assert refund.method == "card"
    assert paid_order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    note = paid_order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.number == f"CN-{timezone.localdate().year}-000001"
    assert note.corrects.kind == Invoice.Kind.INVOICE
    assert note.total_amount == D("50.00")
    assert note.net_amount + note.tax_amount == D("50.00")
    assert len(note.snapshot["vat"]) == 2


def test_full_refund_credits_the_invoice_breakdown(paid_order):
    owner = UserFactory(role="Owner")
    refund_payment(order=paid_order, amount=paid_order.total_amount, reason="Cancelled", by=owner)
    paid_order.refresh_from_db()
    note = paid_order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    invoice = note.corrects
    assert paid_order.payment_status == Order.PaymentStatus.REFUNDED
    assert note.snapshot["vat"] == invoice.snapshot["vat"]
    assert (note.net_amount, note.tax_amount) == (invoice.net_amount, invoice.tax_amount)


def test_staff_cannot_refund_above_the_limit_but_the_owner_can(paid_order):
    # given
    staff = UserFactory(role="Staff")
    # when
    with pytest.raises(RefundRefused, match="need the Owner"):
        refund_payment(order=paid_order, amount=D("100.01"), reason="Goodwill", by=staff)
    # then
    assert not paid_order.payments.filter(kind=Payment.Kind.REFUND).exists()
    assert refund_payment(order=paid_order, amount=D("100.01"), reason="Goodwill", by=UserFactory(role="Owner"))


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [(D("500.00"), "Too much", "At most"), (D("10.00"), "  ", "reason"), (D("-1"), "x", "more than zero")],
)
def test_bad_refunds_are_refused(paid_order, amount, reason, message):
    with pytest.raises(RefundRefused, match=message):
        refund_payment(order=paid_order, amount=amount, reason=reason, by=UserFactory(role="Owner"))
    assert not paid_order.payments.filter(kind=Payment.Kind.REFUND).exists()
    assert not paid_order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_the_owner_role_holds_the_refund_permission():
    assert UserFactory(role="Owner").has_perm("billing.refund_above_limit")
    assert not UserFactory(role="Staff").has_perm("billing.refund_above_limit")
