"""Factur-X / EN 16931: every invoice and credit note is a hybrid PDF with a valid CII XML.

The autouse fixture in ``tests/billing/conftest.py`` already checks each rendered PDF
(XSD at the EN 16931 level, totals rules, PDF/A-3 and the attachment); these tests look at
what the XML says, that a tampered one is rejected, and that issuing needs the store's
e-invoice details before any number is taken.
"""

import io
from decimal import ROUND_HALF_UP, Decimal
from unittest.mock import patch

import facturx
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from billing.exceptions import InvoiceRefused
from billing.models import Invoice, InvoiceSequence
from billing.selectors import get_invoice_xml
from billing.services import issue_credit_note, issue_invoice, record_payment, render_invoice_pdf
from billing.services.facturx import EInvoiceError, einvoice_figures, en16931_total_errors
from tests.billing.factories import placed_order, store_with_legal_details
from tests.billing.facturx_checks import assert_valid_facturx_pdf, assert_valid_facturx_xml, schematron_failures
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _xpath(xml: bytes, path: str) -> list[str]:
    return [
        node.text if hasattr(node, "text") else str(node) for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


def _issue(order) -> Invoice:
    with patch("billing.services.invoices._enqueue_delivery"):
        return issue_invoice(order=order)


def test_invoice_pdf_carries_the_en16931_xml_with_the_printed_numbers(facturx_checked):
    # given: three VAT rates, a 10 % discount and shipping, a customer on 30 days' terms
    store_with_legal_details(registration="HRB 123456 B")
    customer = CustomerFactory(company_name="Acme AG", vat_id="DE999999999", payment_terms_days=30)
    order = placed_order(
        prices=[D("19.99"), D("5.55"), D("3.10")],
        quantities=[3, 2, 1],
        tax_rates=[D("19"), D("7"), D("0")],
        customer=customer,
        discount_percent=D("10"),
        shipping_amount=D("4.90"),
        shipping_tax_rate=D("19"),
    )
    invoice = _issue(order)
    # when
    invoice = render_invoice_pdf(invoice_id=invoice.pk)
    with invoice.pdf.open("rb") as handle:
        xml = assert_valid_facturx_pdf(handle.read(), number=invoice.number)
    # then: the fixture checked it too, and the XML says what the page prints
    assert facturx_checked == [invoice.number]
    assert _xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert _xpath(xml, "//ram:SellerTradeParty/ram:Name") == ["Backroom Demo GmbH"]
    assert _xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456789"]
    assert _xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["HRB 123456 B"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:Name") == ["Acme AG"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE999999999"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["DE"]
    assert _xpath(xml, "//ram:InvoiceCurrencyCode") == ["EUR"]
    assert _xpath(xml, "//ram:BilledQuantity/@unitCode") == ["C62"] * 3
    assert _xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert _xpath(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["DE89370400440532013000"]
    assert _xpath(xml, "//ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == ["COBADEFFXXX"]
    assert _xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == [
        invoice.due_date.strftime("%Y%m%d")
    ]
    # VAT breakdown: one row per rate, the snapshot's numbers; 0 % is zero-rated (Z)
    rows = {
        (node.findtext("ram:CategoryCode", namespaces=NS), node.findtext("ram:RateApplicablePercent", namespaces=NS)): (
            D(node.findtext("ram:BasisAmount", namespaces=NS)),
            D(node.findtext("ram:CalculatedAmount", namespaces=NS)),
        )
        for node in etree.fromstring(xml).xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
        )
    }
    assert rows == {
        ("S" if D(r["rate"]) else "Z", f"{D(r['rate']):.2f}"): (D(r["basis"]), D(r["vat"]))
        for r in invoice.snapshot["vat"]
    }
    # discount: one allowance per rate; shipping: one charge at its rate
    assert len(_xpath(xml, "//ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']")) == 3
    assert _xpath(
        xml, "//ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:ActualAmount"
    ) == ["4.90"]
    assert _xpath(xml, "//ram:AllowanceTotalAmount") == [str(order.discount_amount)]
    assert _xpath(xml, "//ram:GrandTotalAmount") == [str(invoice.total_amount)]
    assert _xpath(xml, "//ram:DuePayableAmount") == [str(invoice.total_amount)]
    assert get_invoice_xml(invoice=invoice) == xml


def test_paid_invoice_is_due_nothing_and_credit_note_refers_to_it(facturx_checked):
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("49.90"), D("10.00")], quantities=[1, 2], tax_rates=[D("19"), D("7")])
    record_payment(order=order, method="card", amount=order.total_amount, currency="EUR", by=None)
    invoice = order.invoices.get()
    # when
    with patch("billing.services.invoices._enqueue_delivery"):
        note = issue_credit_note(invoice=invoice, amount=D("20.00"), reason="Damaged in transit")
    invoice_xml = get_invoice_xml(invoice=invoice)
    note_xml = assert_valid_facturx_pdf(
        render_invoice_pdf(invoice_id=note.pk).pdf.open("rb").read(), number=note.number
    )
    # then
    assert _xpath(invoice_xml, "//ram:TotalPrepaidAmount") == [str(invoice.total_amount)]
    assert _xpath(invoice_xml, "//ram:DuePayableAmount") == ["0.00"]
    assert _xpath(note_xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _xpath(note_xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
    assert _xpath(note_xml, "//ram:GrandTotalAmount") == ["20.00"]
    assert _xpath(note_xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == ["Damaged in transit"]
    assert note.number in facturx_checked


def test_tampered_xml_is_rejected():
    # given
    store_with_legal_details()
    invoice = _issue(placed_order(prices=[D("10.00"), D("7.30")], quantities=[2, 1], tax_rates=[D("19"), D("7")]))
    xml = get_invoice_xml(invoice=invoice)
    assert_valid_facturx_xml(xml)
    # when: a total changed, then an amount made unreadable, then a required party removed
    total = f"<ram:GrandTotalAmount>{invoice.total_amount}</ram:GrandTotalAmount>".encode()
    altered_total = xml.replace(total, b"<ram:GrandTotalAmount>1.00</ram:GrandTotalAmount>")
    altered_vat = xml.replace(b"<ram:CalculatedAmount>", b"<ram:CalculatedAmount>1", 1)
    not_a_number = xml.replace(total, b"<ram:GrandTotalAmount>lots</ram:GrandTotalAmount>")
    root = etree.fromstring(xml)
    seller = root.find(".//ram:SellerTradeParty", NS)
    seller.getparent().remove(seller)
    no_seller = etree.tostring(root)
    # then
    assert altered_total != xml and "BR-CO-15 grand total" in en16931_total_errors(altered_total)
    assert [failure.split(":")[0] for failure in schematron_failures(altered_total)] == ["BR-CO-15", "BR-CO-16"]
    assert any(error.startswith("BR-CO-14") for error in en16931_total_errors(altered_vat))
    with pytest.raises(Exception, match=r"(?i)xsd|schema|valid"):
        facturx.xml_check_xsd(not_a_number, flavor="factur-x", level="en16931")
    with pytest.raises(Exception, match=r"(?i)xsd|schema|valid"):
        facturx.xml_check_xsd(no_seller, flavor="factur-x", level="en16931")


@pytest.mark.parametrize("field", ["vat_id", "country", "legal_name", "city"])
def test_issuing_is_refused_without_what_en16931_needs_before_a_number_is_taken(field):
    # given
    store_with_legal_details(**{field: ""})
    order = placed_order()
    # when
    with pytest.raises(InvoiceRefused) as refused:
        issue_invoice(order=order)
    # then
    assert "store settings" in refused.value.message
    assert {"vat_id": "VAT id", "country": "country", "legal_name": "legal name", "city": "city"}[field] in (
        refused.value.message
    )
    assert not InvoiceSequence.objects.filter(last_number__gt=0).exists()
    assert not order.invoices.exists()


RATES = [D("0"), D("5.5"), D("7"), D("10"), D("19"), D("20")]
line = st.tuples(st.integers(1, 99_999).map(lambda cents: D(cents) / 100), st.integers(1, 9), st.sampled_from(RATES))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line, min_size=1, max_size=6),
    discount=st.sampled_from([D("0"), D("3"), D("10"), D("12.5"), D("33.33")]),
    shipping=st.sampled_from([D("0"), D("0.05"), D("4.90")]),
    shipping_rate=st.sampled_from([D("19"), D("7"), D("0")]),
)
def test_random_invoices_satisfy_the_en16931_amount_identities(lines, discount, shipping, shipping_rate):
    with transaction.atomic():
        # given
        store_with_legal_details()
        order = placed_order(
            prices=[price for price, _q, _r in lines],
            quantities=[quantity for _p, quantity, _r in lines],
            tax_rates=[rate for _p, _q, rate in lines],
            discount_percent=discount,
            shipping_amount=shipping,
            shipping_tax_rate=shipping_rate,
        )
        # when
        invoice = _issue(order)
        figures = einvoice_figures(invoice)
        xml = get_invoice_xml(invoice=invoice)
        # then: sum of line nets - allowances + charges = tax basis; basis + VAT = grand total
        assert sum(row["net"] for row in figures["lines"]) == figures["line_total"]
        assert figures["line_total"] - figures["allowance_total"] + figures["charge_total"] == figures["tax_basis"]
        assert figures["tax_basis"] + figures["tax_total"] == figures["grand_total"] == invoice.total_amount
        assert figures["allowance_total"] == order.discount_amount
        assert figures["charge_total"] == order.shipping_amount
        # VAT per rate = basis x rate, rounded half up, on the sum of that rate's nets
        for row in figures["vat"]:
            exact = (row["basis"] * row["rate"] / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            assert row["vat"] == exact
        assert_valid_facturx_xml(xml)
        transaction.set_rollback(True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line, min_size=1, max_size=5),
    discount=st.sampled_from([D("0"), D("10"), D("33.33")]),
    shipping=st.sampled_from([D("0"), D("0.05"), D("4.90")]),
)
def test_gross_price_invoices_are_valid_en16931_too(lines, discount, shipping):
    """Prices with VAT included: VAT = gross - basis may be a cent off basis x rate (the allowed tolerance)."""
    from tests.catalog.factories import ChannelFactory, PriceListFactory

    with transaction.atomic():
        # given a B2C list with gross prices
        store_with_legal_details()
        channel = ChannelFactory(code="web", price_list=PriceListFactory(code="web-b2c", prices_include_tax=True))
        order = placed_order(
            channel=channel,
            prices=[price for price, _q, _r in lines],
            quantities=[quantity for _p, quantity, _r in lines],
            tax_rates=[rate for _p, _q, rate in lines],
            discount_percent=discount,
            shipping_amount=shipping,
            shipping_tax_rate=D("19"),
        )
        # when
        invoice = _issue(order)
        figures = einvoice_figures(invoice)
        # then
        assert order.prices_include_tax
        assert figures["line_total"] - figures["allowance_total"] + figures["charge_total"] == figures["tax_basis"]
        assert figures["tax_basis"] + figures["tax_total"] == figures["grand_total"] == order.total_amount
        assert_valid_facturx_xml(get_invoice_xml(invoice=invoice))
        transaction.set_rollback(True)


def test_a_snapshot_that_does_not_add_up_still_gets_its_readable_pdf(facturx_checked, caplog):
    # given: an invoice whose stored snapshot was altered (as one from before e-invoices might be)
    store_with_legal_details()
    invoice = _issue(placed_order(prices=[D("10.00")]))
    invoice.snapshot["vat"][0]["vat"] = "0.01"
    Invoice.objects.filter(pk=invoice.pk).update(snapshot=invoice.snapshot)
    invoice.refresh_from_db()
    # when
    with pytest.raises(EInvoiceError, match="BR-CO-15"):
        get_invoice_xml(invoice=invoice)
    from billing.services import documents

    pdf = documents.build_invoice_pdf.__wrapped_build__(invoice)
    # then
    assert pdf.startswith(b"%PDF")
    assert PdfReader(io.BytesIO(pdf)).attachments == {}
    assert "no Factur-X XML" in caplog.text
