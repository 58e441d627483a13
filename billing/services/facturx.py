"""Factur-X / ZUGFeRD: the EN 16931 Cross Industry Invoice XML of an invoice or credit note.

The XML is built with ``drafthorse`` from the invoice's immutable snapshot, the same
numbers the PDF prints, so the two cannot disagree:

- lines: quantity (unit C62), net price, line net, VAT category and rate;
- the order's discount as one document-level allowance per VAT rate and the shipping as a
  document-level charge at its rate, each recovered exactly from the snapshot's VAT rows
  (basis of a rate = its line nets - allowance + charge, BR-CO-10..13);
- the VAT breakdown per category and rate (VAT = basis x rate, rounded half up, BR-S-08);
- totals: line total, allowances, charges, tax basis, VAT, grand total, paid and due
  (BR-CO-10..16); payment means 58 (SEPA credit transfer) with IBAN / BIC when the store
  has them, and the due date or the payment terms.

``build_facturx_pdf_options`` gives WeasyPrint what makes the PDF a Factur-X one: PDF/A-3b,
the XML attached as ``factur-x.xml`` with the relationship ``Data``, and the Factur-X XMP
extension (``static/xmp/factur-x.xmp``). ``einvoice_missing_fields`` lists the store
settings EN 16931 needs and issuing refuses without.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice, Payment
from catalog.money import HUNDRED, ZERO, quantize

PROFILE = "urn:cen.eu:en16931:2017"  # Factur-X EN 16931 (also ZUGFeRD 2.x "COMFORT")
XML_FILENAME = "factur-x.xml"
UNIT_CODE = "C62"  # "one" (UN/ECE Recommendation 20)
EXEMPTION_REASONS = {
    "E": "Exempt from VAT",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}


class EInvoiceError(ValueError):
    """The snapshot cannot make a valid EN 16931 invoice (a bug or data from before e-invoices)."""


def einvoice_missing_fields(store) -> list[str]:
    """The store settings an EN 16931 invoice needs that are empty, as a person reads them.

    Seller name (BT-27), postal address with city, postcode and country (BG-5, BT-40) and,
    for standard-rated sales, the seller's VAT identifier (BT-31, BR-S-02).
    """
    required = (
        (_("legal name"), store.legal_name),
        (_("address"), store.address_line1),
        (_("postal code"), store.postal_code),
        (_("city"), store.city),
        (_("country"), store.country),
        (_("VAT id"), store.vat_id),
    )
    return [str(label) for label, value in required if not (value or "").strip()]


def _d(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _rate_key(value) -> Decimal:
    return _d(value).quantize(Decimal("0.01"))


def _category(code: str, rate: Decimal) -> str:
    code = (code or "S").upper()
    if code == "S" and rate == 0:
        return "Z"  # a 0 % rate cannot be "standard" (BR-S-05)
    return code


def _local_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def _prepaid(invoice: Invoice, total: Decimal) -> Decimal:
    """Money the buyer had paid for the order when the invoice was issued (immutable records)."""
    if invoice.kind != Invoice.Kind.INVOICE:
        return ZERO
    verified = Payment.objects.filter(
        order_id=invoice.order_id, status=Payment.Status.VERIFIED, created_at__lte=invoice.issued_at
    )
    paid = verified.filter(kind=Payment.Kind.PAYMENT).aggregate(s=Sum("amount"))["s"] or ZERO
    refunded = verified.filter(kind=Payment.Kind.REFUND).aggregate(s=Sum("amount"))["s"] or ZERO
    return max(ZERO, min(total, quantize(paid - refunded)))


def einvoice_figures(invoice: Invoice) -> dict:
    """Every amount of the e-invoice, from the snapshot alone, checked against the EN 16931 identities.

    Returns lines, per-rate allowances and charges, the VAT breakdown and the totals as
    Decimals. Raises ``EInvoiceError`` when the snapshot's numbers do not add up.
    """
    snapshot = invoice.snapshot
    lines = snapshot.get("lines", [])
    categories: dict[Decimal, str] = {}
    if invoice.kind == Invoice.Kind.CREDIT_NOTE and invoice.corrects_id:
        for line in invoice.corrects.snapshot.get("lines", []):
            rate = _rate_key(line.get("tax_rate"))
            categories.setdefault(rate, _category(line.get("tax_category"), rate))
    line_rows = []
    line_sums: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for index, line in enumerate(lines, start=1):
        rate = _rate_key(line.get("tax_rate"))
        quantity = _d(line.get("quantity") or 1)
        net = quantize(_d(line.get("net")))
        unit_price = _d(line.get("unit_price"))
        if quantize(unit_price * quantity) != net and quantity:
            unit_price = (net / quantity).quantize(Decimal("0.0001"))
        category = categories.get(rate) or _category(line.get("tax_category"), rate)
        categories.setdefault(rate, category)
        line_sums[rate] += net
        line_rows.append(
            {
                "id": str(index),
                "name": (line.get("description") or line.get("sku") or "-")[:500],
                "sku": line.get("sku") or "",
                "quantity": quantity,
                "unit_price": unit_price,
                "net": net,
                "rate": rate,
                "category": category,
            }
        )
    shipping = quantize(_d(snapshot.get("shipping")))
    shipping_rate = _rate_key(snapshot.get("shipping_tax_rate")) if shipping else None
    vat_rows = []
    allowances: dict[Decimal, Decimal] = {}
    charges: dict[Decimal, Decimal] = {}
    for row in snapshot.get("vat", []):
        rate = _rate_key(row["rate"])
        basis = quantize(_d(row["basis"]))
        vat = quantize(_d(row["vat"]))
        charge = shipping if rate == shipping_rate else ZERO
        # basis of a rate = its line nets - its allowances + its charges, so the allowance follows.
        allowance = line_sums.get(rate, ZERO) + charge - basis
        if allowance < 0:  # more basis than lines and shipping: an unexplained charge
            charge, allowance = charge - allowance, ZERO
        if allowance:
            allowances[rate] = allowance
        if charge:
            charges[rate] = charge
        category = categories.get(rate) or _category("S", rate)
        categories.setdefault(rate, category)
        vat_rows.append({"rate": rate, "category": category, "basis": basis, "vat": vat})
    for rate in line_sums:
        if rate not in {row["rate"] for row in vat_rows}:
            raise EInvoiceError(f"{invoice.number}: lines at {rate} % have no VAT row")
    line_total = sum((row["net"] for row in line_rows), ZERO)
    allowance_total = sum(allowances.values(), ZERO)
    charge_total = sum(charges.values(), ZERO)
    tax_basis = sum((row["basis"] for row in vat_rows), ZERO)
    tax_total = sum((row["vat"] for row in vat_rows), ZERO)
    grand_total = tax_basis + tax_total
    checks = {
        "BR-CO-13 tax basis = line total - allowances + charges": tax_basis
        == line_total - allowance_total + charge_total,
        "BR-CO-15 grand total = tax basis + VAT": grand_total == invoice.total_amount,
        "net agrees with the invoice": tax_basis == invoice.net_amount,
        "VAT agrees with the invoice": tax_total == invoice.tax_amount,
    }
    for row in vat_rows:
        if row["category"] in ("S",):
            # BR-S-08; prices entered with VAT included may put the VAT one cent off (allowed tolerance).
            exact = quantize(row["basis"] * row["rate"] / HUNDRED)
            checks[f"BR-S-08 VAT at {row['rate']} %"] = abs(row["vat"] - exact) <= Decimal("0.01")
        elif row["vat"]:
            checks[f"no VAT in category {row['category']}"] = False
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise EInvoiceError(f"{invoice.number}: {', '.join(failed)}")
    prepaid = _prepaid(invoice, grand_total)
    return {
        "lines": line_rows,
        "allowances": allowances,
        "charges": charges,
        "categories": categories,
        "vat": vat_rows,
        "line_total": line_total,
        "allowance_total": allowance_total,
        "charge_total": charge_total,
        "tax_basis": tax_basis,
        "tax_total": tax_total,
        "grand_total": grand_total,
        "prepaid": prepaid,
        "due": grand_total - prepaid,
    }


def _address(target, *, line1="", line2="", postcode="", city="", country="") -> None:
    if postcode:
        target.postcode = postcode
    if line1:
        target.line_one = line1
    if line2:
        target.line_two = line2
    if city:
        target.city_name = city
    target.country_id = (country or "").upper()[:2]


def _trade_tax(target, *, category: str, rate: Decimal) -> None:
    target.type_code = "VAT"
    target.category_code = category
    if category != "O":
        target.rate_applicable_percent = rate


def build_facturx_xml(invoice: Invoice) -> bytes:
    """The CII XML (Factur-X EN 16931 profile) of an issued invoice or credit note."""
    from drafthorse.models.accounting import ApplicableTradeTax, TradeAllowanceCharge
    from drafthorse.models.document import Document
    from drafthorse.models.note import IncludedNote
    from drafthorse.models.party import TaxRegistration
    from drafthorse.models.payment import PaymentMeans, PaymentTerms
    from drafthorse.models.tradelines import LineItem

    figures = einvoice_figures(invoice)
    snapshot = invoice.snapshot
    seller = snapshot.get("seller", {})
    buyer = snapshot.get("buyer", {})
    buyer_address = buyer.get("address") or {}
    currency = invoice.currency
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE

    doc = Document()
    doc.context.guideline_parameter.id = PROFILE
    doc.header.id = invoice.number
    doc.header.type_code = "381" if is_credit_note else "380"
    doc.header.issue_date_time = _local_date(invoice.issued_at)
    if snapshot.get("reason"):
        doc.header.notes.add(IncludedNote(content=snapshot["reason"][:1000]))
    if seller.get("registration"):
        doc.header.notes.add(IncludedNote(content=seller["registration"], subject_code="REG"))

    agreement = doc.trade.agreement
    if buyer.get("reference"):
        agreement.buyer_reference = buyer["reference"]
    party = agreement.seller
    party.name = seller.get("legal_name") or seller.get("name")
    if seller.get("registration"):
        party.legal_organization.id = seller["registration"]
    if seller.get("name") and seller.get("name") != party.name:
        party.legal_organization.trade_name = seller["name"]
    _address(
        party.address,
        line1=seller.get("address_line1", ""),
        postcode=seller.get("postal_code", ""),
        city=seller.get("city", ""),
        country=seller.get("country") or "",
    )
    if seller.get("email"):
        party.electronic_address.uri_ID = ("EM", seller["email"])
    if seller.get("vat_id"):
        party.tax_registrations.add(TaxRegistration(id=("VA", seller["vat_id"])))

    party = agreement.buyer
    party.name = (
        buyer.get("company")
        or buyer_address.get("company")
        or buyer_address.get("name")
        or buyer.get("name")
        or buyer.get("email")
        or _("Customer")
    )
    _address(
        party.address,
        line1=buyer_address.get("line1", ""),
        line2=buyer_address.get("line2", ""),
        postcode=buyer_address.get("postal_code", ""),
        city=buyer_address.get("city", ""),
        country=buyer_address.get("country") or seller.get("country") or "",
    )
    if buyer.get("email"):
        party.electronic_address.uri_ID = ("EM", buyer["email"])
    if buyer.get("vat_id"):
        party.tax_registrations.add(TaxRegistration(id=("VA", buyer["vat_id"])))
    order_number = snapshot.get("order", {}).get("number")
    if order_number:
        agreement.seller_order.issuer_assigned_id = str(order_number)

    delivery_date = snapshot.get("order", {}).get("placed_at")
    if delivery_date:
        doc.trade.delivery.event.occurrence = _local_date(datetime.datetime.fromisoformat(delivery_date))

    for row in figures["lines"]:
        item = LineItem()
        item.document.line_id = row["id"]
        if row["sku"]:
            item.product.seller_assigned_id = row["sku"]
        item.product.name = row["name"]
        item.agreement.net.amount = row["unit_price"]
        item.delivery.billed_quantity = (row["quantity"], UNIT_CODE)
        _trade_tax(item.settlement.trade_tax, category=row["category"], rate=row["rate"])
        item.settlement.monetary_summation.total_amount = row["net"]
        doc.trade.items.add(item)

    settlement = doc.trade.settlement
    settlement.currency_code = currency
    settlement.payment_reference = invoice.number
    if seller.get("iban"):
        means = PaymentMeans()
        means.type_code = "58"  # SEPA credit transfer
        means.payee_account.iban = seller["iban"].replace(" ", "")
        means.payee_account.account_name = seller.get("legal_name") or seller.get("name")
        if seller.get("bic"):
            means.payee_institution.bic = seller["bic"].replace(" ", "")
        settlement.payment_means.add(means)
    elif figures["due"] and not is_credit_note:
        means = PaymentMeans()
        means.type_code = "1"  # not defined: paid as agreed
        settlement.payment_means.add(means)

    for row in figures["vat"]:
        tax = ApplicableTradeTax()
        tax.calculated_amount = row["vat"]
        tax.basis_amount = row["basis"]
        _trade_tax(tax, category=row["category"], rate=row["rate"])
        if row["category"] in EXEMPTION_REASONS:
            tax.exemption_reason = EXEMPTION_REASONS[row["category"]]
        settlement.trade_tax.add(tax)

    for rate, amount in figures["allowances"].items():
        allowance = TradeAllowanceCharge()
        allowance.indicator = False
        allowance.actual_amount = amount
        allowance.reason_code = "95"  # discount
        allowance.reason = _("Discount")
        _trade_tax(_new_category_tax(allowance), category=figures["categories"][rate], rate=rate)
        settlement.allowance_charge.add(allowance)
    for rate, amount in figures["charges"].items():
        charge = TradeAllowanceCharge()
        charge.indicator = True
        charge.actual_amount = amount
        charge.reason_code = "DL"  # delivery
        charge.reason = _("Shipping")
        _trade_tax(_new_category_tax(charge), category=figures["categories"][rate], rate=rate)
        settlement.allowance_charge.add(charge)

    if figures["due"] > 0 and not is_credit_note:
        terms = PaymentTerms()
        days = snapshot.get("payment_terms_days")
        if invoice.due_date:
            terms.due = invoice.due_date
            terms.description = _("Payable within %(days)s days, by %(date)s, reference %(number)s.") % {
                "days": days if days is not None else (invoice.due_date - _local_date(invoice.issued_at)).days,
                "date": invoice.due_date.isoformat(),
                "number": invoice.number,
            }
        else:
            terms.description = _("Payable on receipt, reference %(number)s.") % {"number": invoice.number}
        settlement.terms.add(terms)

    summation = settlement.monetary_summation
    summation.line_total = figures["line_total"]
    summation.charge_total = figures["charge_total"]
    summation.allowance_total = figures["allowance_total"]
    summation.tax_basis_total = figures["tax_basis"]
    summation.tax_total = (figures["tax_total"], currency)
    summation.grand_total = figures["grand_total"]
    summation.prepaid_total = figures["prepaid"]
    summation.due_amount = figures["due"]

    if is_credit_note and invoice.corrects_id:
        reference = settlement.invoice_referenced_document
        reference.issuer_assigned_id = invoice.corrects.number
        reference.issue_date_time = _local_date(invoice.corrects.issued_at)
    elif snapshot.get("corrects"):
        settlement.invoice_referenced_document.issuer_assigned_id = snapshot["corrects"]

    return doc.serialize(schema="FACTUR-X_EN16931")


def _new_category_tax(allowance_charge):
    from drafthorse.models.accounting import CategoryTradeTax

    tax = CategoryTradeTax()
    allowance_charge.trade_tax.add(tax)
    return tax


_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def en16931_total_errors(xml: bytes) -> list[str]:
    """The EN 16931 calculation rules a CII XML breaks (empty when its amounts add up).

    Read back from the XML itself, so a document altered after it was built is caught:
    BR-CO-10 (sum of line nets), BR-CO-11/12 (allowances, charges), BR-CO-13 (tax basis),
    BR-CO-14 (VAT total = sum of the breakdown), BR-CO-15 (grand total), BR-CO-16 (due),
    BR-CO-17 / BR-S-08 (VAT of a standard rate = basis x rate, rounded, one cent tolerance)
    and that the breakdown's basis of each rate is its lines less allowances plus charges.
    """
    from lxml import etree

    root = etree.fromstring(xml)

    def amounts(path: str) -> list[Decimal]:
        return [Decimal(node.text.strip()) for node in root.xpath(path, namespaces=_NS)]

    def one(path: str) -> Decimal:
        found = amounts(path)
        return found[0] if found else ZERO

    settlement = "//ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    line_nets = amounts("//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount")
    errors = []
    line_total = one(f"{summation}/ram:LineTotalAmount")
    allowance_total = one(f"{summation}/ram:AllowanceTotalAmount")
    charge_total = one(f"{summation}/ram:ChargeTotalAmount")
    basis_total = one(f"{summation}/ram:TaxBasisTotalAmount")
    tax_total = one(f"{summation}/ram:TaxTotalAmount")
    grand_total = one(f"{summation}/ram:GrandTotalAmount")
    prepaid = one(f"{summation}/ram:TotalPrepaidAmount")
    due = one(f"{summation}/ram:DuePayableAmount")
    if sum(line_nets, ZERO) != line_total:
        errors.append("BR-CO-10 line total")
    per_rate: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for item in root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=_NS):
        key = (
            item.findtext(".//ram:ApplicableTradeTax/ram:CategoryCode", namespaces=_NS),
            _rate_key(item.findtext(".//ram:ApplicableTradeTax/ram:RateApplicablePercent", "0", namespaces=_NS)),
        )
        per_rate[key] += Decimal(item.findtext(".//ram:LineTotalAmount", namespaces=_NS))
    allowances = charges = ZERO
    for node in root.xpath(f"{settlement}/ram:SpecifiedTradeAllowanceCharge", namespaces=_NS):
        amount = Decimal(node.findtext("ram:ActualAmount", namespaces=_NS))
        is_charge = node.findtext("ram:ChargeIndicator/*", namespaces=_NS).strip() == "true"
        key = (
            node.findtext("ram:CategoryTradeTax/ram:CategoryCode", namespaces=_NS),
            _rate_key(node.findtext("ram:CategoryTradeTax/ram:RateApplicablePercent", "0", namespaces=_NS)),
        )
        per_rate[key] += amount if is_charge else -amount
        if is_charge:
            charges += amount
        else:
            allowances += amount
    if allowances != allowance_total:
        errors.append("BR-CO-11 allowance total")
    if charges != charge_total:
        errors.append("BR-CO-12 charge total")
    if basis_total != line_total - allowance_total + charge_total:
        errors.append("BR-CO-13 tax basis total")
    vat_sum = ZERO
    for node in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=_NS):
        category = node.findtext("ram:CategoryCode", namespaces=_NS)
        rate = _rate_key(node.findtext("ram:RateApplicablePercent", "0", namespaces=_NS))
        basis = Decimal(node.findtext("ram:BasisAmount", namespaces=_NS))
        vat = Decimal(node.findtext("ram:CalculatedAmount", namespaces=_NS))
        vat_sum += vat
        if per_rate.pop((category, rate), None) != basis:
            errors.append(f"basis of {category} {rate} %")
        if abs(vat - quantize(basis * rate / HUNDRED)) > Decimal("0.01"):
            errors.append(f"BR-S-08 VAT of {category} {rate} %")
    if per_rate:
        errors.append("lines or allowances without a VAT breakdown row")
    if vat_sum != tax_total:
        errors.append("BR-CO-14 VAT total")
    if grand_total != basis_total + tax_total:
        errors.append("BR-CO-15 grand total")
    if due != grand_total - prepaid:
        errors.append("BR-CO-16 amount due")
    return errors
