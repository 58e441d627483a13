from decimal import Decimal

import pytest
from django.utils import timezone

from billing.exceptions import InvoiceRefused
from billing.models import Invoice, InvoiceSequence
from billing.services import issue_invoice, issue_invoice_on_terms, record_payment
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_numbers_follow_each_other_per_series_and_year():
    # given
    store_with_legal_details()
    orders = [placed_order() for _ in range(3)]
    year = timezone.localdate().year
    # when
    numbers = [issue_invoice(order=order).number for order in orders]
    # then
    assert numbers == [f"INV-{year}-{n:06d}" for n in (1, 2, 3)]
    assert InvoiceSequence.objects.get(series="INV", year=year).last_number == 3


def test_the_series_comes_from_the_store_settings():
    store_with_legal_details(invoice_series="RE")
    invoice = issue_invoice(order=placed_order())
    assert invoice.number.startswith(f"RE-{timezone.localdate().year}-")


def test_missing_legal_details_refuse_before_a_number_is_taken():
    # given
    store_with_legal_details(legal_name="", address_line1="")
    order = placed_order()
    # when
    with pytest.raises(InvoiceRefused) as refused:
        issue_invoice(order=order)
    # then
    assert "legal name" in refused.value.message
    assert not InvoiceSequence.objects.exists()
    assert not Invoice.objects.exists()


def test_an_order_is_invoiced_once():
    store_with_legal_details()
    order = placed_order()
    issue_invoice(order=order)
    with pytest.raises(InvoiceRefused, match="already has invoice"):
        issue_invoice(order=order)
    assert InvoiceSequence.objects.get().last_number == 1


def test_snapshot_keeps_seller_buyer_lines_and_totals_of_the_order():
    # given
    store = store_with_legal_details()
    order = placed_order(
        prices=[D("19.99"), D("7.00")],
        quantities=[3, 1],
        tax_rates=[D("19.00"), D("7.00")],
        discount_percent=D("10"),
        shipping_amount=D("4.90"),
    )
    # when
    invoice = issue_invoice(order=order)
    store.legal_name = "Renamed GmbH"
    store.save()
    invoice.refresh_from_db()
    # then
    assert invoice.snapshot["seller"]["legal_name"] == "Backroom Demo GmbH"
    assert invoice.snapshot["buyer"]["address"]["city"] == "Berlin"
    assert len(invoice.snapshot["lines"]) == 2
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (
        order.subtotal_amount - order.discount_amount + order.shipping_amount,
        order.tax_amount,
        order.total_amount,
    )
    assert sorted(row["rate"] for row in invoice.snapshot["vat"]) == ["19.00", "7.00"]
    assert sum(D(row["vat"]) for row in invoice.snapshot["vat"]) == order.tax_amount


def test_customers_on_terms_are_invoiced_at_placement_with_a_due_date():
    # given
    store_with_legal_details()
    order = placed_order(customer=CustomerFactory(payment_terms_days=30))
    # when
    invoice = issue_invoice_on_terms(order=order)
    # then
    assert invoice.due_date == timezone.localdate() + timezone.timedelta(days=30)
    # and paying later does not issue a second invoice
    record_payment(order=order, method="bank_transfer", amount=order.total_amount, currency="EUR", by=None)
    assert order.invoices.count() == 1


def test_customers_who_pay_first_are_not_invoiced_at_placement():
    store_with_legal_details()
    assert issue_invoice_on_terms(order=placed_order()) is None
