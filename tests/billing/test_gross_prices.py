"""Prices entered with VAT included (a B2C price list's ``prices_include_tax``).

The customer pays exactly what was shown: the sum of quantity × gross price, less the
discount, plus shipping with its VAT. VAT is still per rate on the sum of the line nets:
basis = round_half_up(gross / (1 + r)), VAT = gross − basis, which is within one cent of
round_half_up(basis × r) (EN 16931 BR-CO-17 tolerance). Invoice, order and the accounting
export agree to the cent.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from unittest.mock import patch

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.selectors import accounting_journal
from billing.services import issue_invoice, record_payment, refund_payment
from catalog.money import allocate_cents, gross_totals, net_from_gross, quantize
from orders.services import OrderChanges, edit_order_lines
from tests.billing.factories import placed_order, store_with_legal_details
from tests.catalog.factories import ChannelFactory, PriceListFactory
from tests.orders.factories import UserFactory

RATES = [Decimal("0"), Decimal("5.5"), Decimal("10"), Decimal("20")]
CENT = Decimal("0.01")
D = Decimal


def web_channel(*, gross: bool = True):
    return ChannelFactory(code="web", price_list=PriceListFactory(code="web-b2c", prices_include_tax=gross))


def _half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


line = st.tuples(
    st.integers(1, 99_999).map(lambda cents: Decimal(cents) / 100),  # gross unit price
    st.integers(1, 7),
    st.sampled_from(RATES),
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line, min_size=1, max_size=5),
    discount=st.sampled_from([D("0"), D("5"), D("10"), D("12.5"), D("33.33")]),
    shipping=st.sampled_from([D("0"), D("4.90"), D("0.05")]),
    refund_share=st.integers(1, 100),
)
def test_gross_prices_invoice_order_and_export_agree_to_the_cent(lines, discount, shipping, refund_share):
    with transaction.atomic():
        # given a B2C list with gross prices
        store_with_legal_details()
        order = placed_order(
            channel=web_channel(),
            prices=[price for price, _q, _r in lines],
            quantities=[q for _p, q, _r in lines],
            tax_rates=[rate for _p, _q, rate in lines],
            discount_percent=discount,
            shipping_amount=shipping,
            shipping_tax_rate=D("20"),
        )
        # when
        record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
        invoice = order.invoices.get()
        refund = max(_half_up(order.total_amount * refund_share / 100), CENT)
        refund_payment(order=order, amount=refund, reason="Property", by=UserFactory(role="Owner"))
        note = order.invoices.get(kind="credit_note")
        today = timezone.localdate()
        journal = accounting_journal(date_from=today - datetime.timedelta(days=1), date_to=today)
        # then the customer pays what was shown
        gross_by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
        for price, quantity, rate in lines:
            gross_by_rate[rate] += price * quantity
        shown = sum(g - _half_up(g * discount / 100) for g in gross_by_rate.values())
        shown += shipping + _half_up(shipping * D("0.20"))
        assert order.prices_include_tax
        assert order.total_amount == shown
        # line nets: two decimals, each rate's add up to its net, each within a cent of half up
        stored = list(order.lines.order_by("pk"))
        nets_by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
        for order_line, (price, quantity, rate) in zip(stored, _merged(lines), strict=True):
            assert order_line.unit_gross_amount == price
            assert order_line.line_total_amount == order_line.line_total_amount.quantize(CENT)
            raw = price * quantity * 100 / (100 + rate)
            assert abs(order_line.line_total_amount - _half_up(raw)) <= CENT
            nets_by_rate[rate] += order_line.line_total_amount
        for rate, net in nets_by_rate.items():
            assert net == net_from_gross(gross_by_rate[rate], rate)
        assert sum(nets_by_rate.values()) == order.subtotal_amount
        # VAT per rate on the sum of the nets, within the EN 16931 tolerance, adding up to the gross
        for row in invoice.snapshot["vat"]:
            basis, rate, vat = D(row["basis"]), D(row["rate"]), D(row["vat"])
            assert abs(vat - _half_up(basis * rate / 100)) <= CENT
            assert basis == basis.quantize(CENT) and vat == vat.quantize(CENT)
        # the invoice is the order's, and its parts add up
        assert invoice.total_amount == order.total_amount
        assert invoice.tax_amount == order.tax_amount
        assert invoice.net_amount == order.subtotal_amount - order.discount_amount + order.shipping_amount
        assert sum(D(r["basis"]) for r in invoice.snapshot["vat"]) == invoice.net_amount
        assert sum(D(r["vat"]) for r in invoice.snapshot["vat"]) == invoice.tax_amount
        assert invoice.net_amount + invoice.tax_amount == invoice.total_amount
        # the credit note is the refund
        assert note.total_amount == refund
        assert note.net_amount + note.tax_amount == refund
        # the export says the same
        assert journal.invoiced["gross"] == order.total_amount - refund
        assert journal.invoiced["net"] == invoice.net_amount - note.net_amount
        assert journal.invoiced["tax"] == invoice.tax_amount - note.tax_amount
        assert sum(journal.invoiced["net_by_rate"], D(0)) == journal.invoiced["net"]
        assert journal.received == order.total_amount - refund
        transaction.set_rollback(True)


def _merged(lines):
    """The drawn lines as the order keeps them (one per variant: each drawn line is its own variant)."""
    return list(lines)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(RATES), st.integers(1, 5_000_000).map(lambda c: Decimal(c) / 100)),
        min_size=1,
        max_size=8,
    ),
    fixed=st.integers(0, 100_000).map(lambda c: Decimal(c) / 100),
    shipping=st.sampled_from([D("0"), D("4.90"), D("0.05")]),
)
def test_gross_totals_with_a_fixed_discount_add_up(lines, fixed, shipping):
    # when
    figures = gross_totals(
        lines=lines, discount_fixed_amount=fixed, shipping_amount=shipping, shipping_tax_rate=D("20")
    )
    # then the total is the gross shown, less the discount (never more than the goods), plus shipping
    goods = sum((g for _r, g in lines), D(0))
    shipping_gross = shipping + _half_up(shipping * D("0.20"))
    assert figures["total_amount"] == goods - min(fixed, goods) + shipping_gross
    assert figures["subtotal_amount"] - figures["discount_amount"] + shipping == sum(
        b for b, _v in figures["breakdown"].values()
    )
    assert figures["tax_amount"] == sum(v for _b, v in figures["breakdown"].values())
    assert sum(figures["line_nets"], D(0)) == figures["subtotal_amount"]
    for rate, (basis, vat) in figures["breakdown"].items():
        assert abs(vat - _half_up(basis * rate / 100)) <= CENT


@settings(max_examples=300, deadline=None)
@given(raws=st.lists(st.integers(0, 10_000_000).map(lambda n: Decimal(n) / 10_000), min_size=1, max_size=8))
def test_allocate_cents_sums_to_the_rounded_total_and_stays_within_a_cent(raws):
    # given the lines' exact nets; the target is their sum rounded half up (as gross_totals uses it)
    target = quantize(sum(raws, D(0)))
    # when
    shares = allocate_cents(target, raws)
    # then
    assert sum(shares, D(0)) == target
    assert all(s >= 0 and abs(s - _half_up(r)) <= CENT for s, r in zip(shares, raws, strict=True))


# --- examples -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_gross_price_is_what_the_customer_pays():
    # given 3 × 4.99 incl. 20 % VAT, and 1 × 0.15 where VAT = gross − basis is a cent off round(basis × r)
    store_with_legal_details()
    with patch("billing.services.invoices._enqueue_delivery"):
        order = placed_order(
            channel=web_channel(),
            prices=[D("4.99"), D("0.15")],
            quantities=[3, 1],
            tax_rates=[D("20"), D("20")],
        )
        invoice = issue_invoice(order=order)
    # then 14.97 + 0.15 = 15.12 gross; net basis round(15.12 / 1.2) = 12.60; VAT 2.52
    assert order.total_amount == D("15.12")
    assert order.subtotal_amount == D("12.60")
    assert order.tax_amount == D("2.52")
    assert order.vat_breakdown == [{"rate": "20.00", "basis": "12.60", "vat": "2.52"}]
    assert sorted(line.line_total_amount for line in order.lines.all()) == [D("0.13"), D("12.47")]
    assert sorted(line.unit_price_amount for line in order.lines.all()) == [D("0.13"), D("4.16")]
    assert invoice.total_amount == D("15.12") and invoice.tax_amount == D("2.52")
    assert invoice.snapshot["prices_include_tax"] is True
    assert {line["unit_gross"] for line in invoice.snapshot["lines"]} == {"4.99", "0.15"}


@pytest.mark.django_db
def test_a_net_list_is_unchanged():
    order = placed_order(channel=web_channel(gross=False), prices=[D("4.99")], quantities=[3], tax_rates=[D("20")])
    assert not order.prices_include_tax
    assert order.lines.get().unit_gross_amount is None
    assert order.total_amount == D("17.96")  # 14.97 + 2.99 VAT
    assert order.vat_breakdown == [{"rate": "20.00", "basis": "14.97", "vat": "2.99"}]


@pytest.mark.django_db
def test_a_percentage_discount_comes_off_the_gross_and_is_kept():
    order = placed_order(
        channel=web_channel(), prices=[D("19.99")], quantities=[2], tax_rates=[D("20")], discount_percent=D("10")
    )
    # 39.98 − 4.00 = 35.98 gross
    assert order.total_amount == D("35.98")
    assert order.discount_percent == D("10")
    assert order.subtotal_amount - order.discount_amount + order.tax_amount == D("35.98")


@pytest.mark.django_db
def test_editing_a_gross_order_keeps_its_total_the_gross_shown():
    # given
    order = placed_order(
        channel=web_channel(), prices=[D("4.99"), D("2.50")], quantities=[1, 1], tax_rates=[D("20"), D("5.5")]
    )
    first = order.lines.get(unit_gross_amount=D("4.99"))
    # when
    result = edit_order_lines(order=order, changes=OrderChanges(quantities={first.pk: 3}), by=UserFactory(role="Staff"))
    # then
    order = result.order
    order.refresh_from_db()
    assert order.total_amount == D("14.97") + D("2.50")
    nets = {line.tax_rate: line.line_total_amount for line in order.lines.all()}
    assert nets == {D("20.00"): net_from_gross(D("14.97"), D("20")), D("5.50"): net_from_gross(D("2.50"), D("5.5"))}
    assert order.events.filter(kind="edited").exists()


@pytest.mark.django_db
def test_a_b2b_group_with_a_net_list_on_a_gross_channel_pays_net_plus_vat():
    # given a gross web list, and a wholesale group whose own list is net for one of the two items
    from catalog.models import Price
    from tests.catalog.factories import CustomerGroupFactory
    from tests.orders.factories import CustomerFactory

    channel = web_channel()
    group = CustomerGroupFactory(price_list=PriceListFactory(code="b2b-net", prices_include_tax=False))
    customer = CustomerFactory(group=group)
    order_a = placed_order(
        channel=channel, prices=[D("12.00"), D("6.00")], tax_rates=[D("20"), D("20")], customer=customer
    )
    # the group has no prices: both are the channel's gross prices, and the order is net (the group's kind)
    assert not order_a.prices_include_tax
    assert sorted(line.unit_price_amount for line in order_a.lines.all()) == [D("5.00"), D("10.00")]
    # when the group prices the first item itself (net 8.00)
    variant = order_a.lines.get(unit_price_amount=D("10.00")).variant
    Price.objects.create(price_list=group.price_list, variant=variant, amount=D("8.00"))
    from orders.services import LineInput, place_order

    order_b = place_order(channel=channel, customer=customer, lines=[LineInput(variant=variant, quantity=1)])
    # then
    assert order_b.lines.get().unit_price_amount == D("8.00")
    assert order_b.total_amount == D("9.60")
