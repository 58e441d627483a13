from decimal import Decimal

import pytest

from billing.exceptions import PaymentRefused
from billing.models import Invoice, Payment
from billing.services import open_balance, record_payment
from orders.models import Order
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_partial_payments_add_up_and_the_order_becomes_paid_and_invoiced():
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("50.00")])  # 50 net + 19 % = 59.50
    clerk = UserFactory()
    # when
    record_payment(order=order, method="card", amount=D("20.00"), currency="EUR", by=clerk)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_PAID
    assert open_balance(order=order) == D("39.50")
    record_payment(order=order, method="bank_transfer", amount=D("39.50"), currency="EUR", reference="SEPA-1", by=clerk)
    # then
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.status == Order.Status.PROCESSING
    invoice = order.invoices.get()
    assert invoice.kind == Invoice.Kind.INVOICE
    assert invoice.total_amount == order.total_amount


def test_cash_above_the_balance_gives_change():
    # given
    order = placed_order(prices=[D("10.00")])  # 11.90
    # when
    payment = record_payment(order=order, method="cash", amount=D("20.00"), currency="EUR", by=UserFactory())
    # then
    assert payment.amount == D("11.90")
    assert payment.tendered_amount == D("20.00")
    assert payment.change_amount == D("8.10")


def test_cash_tendered_is_recorded_with_its_change():
    order = placed_order(prices=[D("10.00")])
    payment = record_payment(
        order=order, method="cash", amount=D("11.90"), currency="EUR", by=None, cash_tendered=D("15.00")
    )
    assert (payment.tendered_amount, payment.change_amount) == (D("15.00"), D("3.10"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "card", "amount": D("12.00"), "currency": "EUR"}, "more than the open balance"),
        ({"method": "card", "amount": D("5.00"), "currency": "USD"}, "USD"),
        ({"method": "card", "amount": D("0"), "currency": "EUR"}, "more than zero"),
        ({"method": "card", "amount": D("1.005"), "currency": "EUR"}, "two decimals"),
        ({"method": "online", "amount": D("5.00"), "currency": "EUR"}, "reference"),
        ({"method": "cash", "amount": D("11.90"), "currency": "EUR", "cash_tendered": D("5.00")}, "less than"),
        ({"method": "bitcoin", "amount": D("5.00"), "currency": "EUR"}, "Choose"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(kwargs, message):
    # given
    order = placed_order(prices=[D("10.00")])
    # when
    with pytest.raises(PaymentRefused) as refused:
        record_payment(order=order, by=None, **kwargs)
    # then
    assert message in refused.value.message
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert not Payment.objects.filter(order=order).exists()


def test_a_paid_order_refuses_more_money():
    order = placed_order(prices=[D("10.00")])
    record_payment(order=order, method="card", amount=D("11.90"), currency="EUR", by=None)
    with pytest.raises(PaymentRefused, match="already paid"):
        record_payment(order=order, method="card", amount=D("1.00"), currency="EUR", by=None)


def test_payment_without_store_details_is_kept_but_not_invoiced():
    # given: store settings without legal name
    order = placed_order(prices=[D("10.00")])
    # when
    record_payment(order=order, method="card", amount=D("11.90"), currency="EUR", by=None)
    # then
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert not order.invoices.exists()
