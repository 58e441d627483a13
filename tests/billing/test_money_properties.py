"""Property: invoice, order and accounting export agree to the cent (EN 16931).

Hypothesis draws carts over VAT rates 0 / 5.5 / 10 / 20 %, with discounts, shipping and a
partial refund. Line nets have two decimals rounded half up (never half even); VAT is
computed per rate on the sum of that rate's nets (after the discount), then rounded; the
invoice totals are the order's; the credit note and the journal add up.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.selectors import accounting_journal
from billing.services import record_payment, refund_payment
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

RATES = [Decimal("0"), Decimal("5.5"), Decimal("10"), Decimal("20")]
CENT = Decimal("0.01")

line = st.tuples(
    st.integers(1, 99_999).map(lambda cents: Decimal(cents) / 100),  # net unit price
    st.integers(1, 7),
    st.sampled_from(RATES),
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line, min_size=1, max_size=5),
    discount=st.sampled_from([Decimal("0"), Decimal("5"), Decimal("10"), Decimal("12.5"), Decimal("33.33")]),
    shipping=st.sampled_from([Decimal("0"), Decimal("4.90"), Decimal("0.05")]),
    refund_share=st.integers(1, 100),
)
def test_invoice_order_and_export_agree_to_the_cent(lines, discount, shipping, refund_share):
    with transaction.atomic():
        # given
        store_with_legal_details()
        order = placed_order(
            prices=[price for price, _q, _r in lines],
            quantities=[q for _p, q, _r in lines],
            tax_rates=[rate for _p, _q, rate in lines],
            discount_percent=discount,
            shipping_amount=shipping,
            shipping_tax_rate=Decimal("20"),
        )
        # when
        record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
        invoice = order.invoices.get()
        refund = max((order.total_amount * refund_share / 100).quantize(CENT, ROUND_HALF_UP), CENT)
        refund_payment(order=order, amount=refund, reason="Property", by=UserFactory(role="Owner"))
        note = order.invoices.get(kind="credit_note")
        today = timezone.localdate()
        journal = accounting_journal(date_from=today - datetime.timedelta(days=1), date_to=today)
        # then the lines are rounded half up
        for snap, (price, quantity, _rate) in zip(invoice.snapshot["lines"], lines, strict=True):
            assert Decimal(snap["net"]) == (price * quantity).quantize(CENT, ROUND_HALF_UP)
        # VAT per rate on the sum of that rate's nets
        for row in invoice.snapshot["vat"]:
            basis, rate = Decimal(row["basis"]), Decimal(row["rate"])
            assert Decimal(row["vat"]) == (basis * rate / 100).quantize(CENT, ROUND_HALF_UP)
            assert basis == basis.quantize(CENT)
        # the invoice is the order's, and its parts add up
        assert invoice.total_amount == order.total_amount
        assert invoice.tax_amount == order.tax_amount
        assert invoice.net_amount == order.subtotal_amount - order.discount_amount + order.shipping_amount
        assert sum(Decimal(r["basis"]) for r in invoice.snapshot["vat"]) == invoice.net_amount
        assert sum(Decimal(r["vat"]) for r in invoice.snapshot["vat"]) == invoice.tax_amount
        assert invoice.net_amount + invoice.tax_amount == invoice.total_amount
        # the credit note is the refund, split over the rates
        assert note.total_amount == refund
        assert note.net_amount + note.tax_amount == refund
        assert sum(Decimal(r["basis"]) for r in note.snapshot["vat"]) == note.net_amount
        # the export says the same
        assert journal.invoiced["gross"] == order.total_amount - refund
        assert journal.invoiced["net"] == invoice.net_amount - note.net_amount
        assert journal.invoiced["tax"] == invoice.tax_amount - note.tax_amount
        assert sum(journal.invoiced["net_by_rate"], Decimal(0)) == journal.invoiced["net"]
        assert journal.received == order.total_amount - refund
        transaction.set_rollback(True)
