"""Issuing invoices and credit notes: gapless numbers and an immutable snapshot.

The number is taken from the ``InvoiceSequence`` row of the series and year, locked with
``select_for_update`` inside the issuing transaction: a rolled-back issue gives its
number back, two concurrent issues queue on the row, so the run has no gap and no
duplicate (never MAX()+1, never a database sequence, which skips on rollback).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.exceptions import InvoiceRefused
from billing.models import Invoice, InvoiceSequence, InvoiceStatus
from billing.services.facturx import einvoice_missing_fields
from catalog.after_commit import on_commit_or_log
from catalog.models import StoreSettings
from catalog.money import HUNDRED, ZERO, quantize, vat_breakdown
from orders.models import Order, OrderEvent, OrderStatus


def format_number(*, series: str, year: int, sequence_number: int) -> str:
    return f"{series}-{year}-{sequence_number:06d}"


def _take_number(*, series: str, year: int) -> int:
    """The next number of the series, under the counter row's lock (held until commit)."""
    InvoiceSequence.objects.get_or_create(series=series, year=year)
    sequence = InvoiceSequence.objects.select_for_update().get(series=series, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def seller_snapshot(store: StoreSettings) -> dict:
    return {
        "name": store.name,
        "legal_name": store.legal_name,
        "address_line1": store.address_line1,
        "postal_code": store.postal_code,
        "city": store.city,
        "country": store.country,
        "email": store.email,
        "phone": store.phone,
        "website": store.website,
        "vat_id": store.vat_id,
        "registration": store.registration,
        "iban": store.iban,
        "bic": store.bic,
        "logo": store.logo.name if store.logo else "",
    }


def _check_store(store: StoreSettings) -> None:
    """Refuse before a number is taken when the store lacks what an EN 16931 e-invoice needs."""
    missing = einvoice_missing_fields(store)
    if missing:
        raise InvoiceRefused(
            _("Invoices cannot be issued until the store settings have the %(fields)s.")
            % {"fields": ", ".join(missing)}
        )


def _buyer_snapshot(order: Order) -> dict:
    customer = order.customer
    return {
        "name": order.customer_name or (str(customer) if customer else ""),
        "company": customer.company_name if customer else "",
        "vat_id": customer.vat_id if customer else "",
        "email": order.email,
        "phone": order.phone,
        "address": order.billing_address or order.shipping_address or {},
    }


def _allowances(bases: dict[Decimal, Decimal], discount: Decimal) -> dict[Decimal, Decimal]:
    """Split the order's discount over its VAT rates as ``compute_totals`` did.

    The order keeps the discount amount, not its percentage: recover the percentage (two
    decimals) and check it reproduces the amount; otherwise split by largest remainder.
    """
    subtotal = sum(bases.values(), ZERO)
    if not discount or not subtotal:
        return {rate: ZERO for rate in bases}
    percent = quantize(discount * HUNDRED / subtotal)
    for candidate in (percent, percent - Decimal("0.01"), percent + Decimal("0.01")):
        split = {rate: quantize(basis * candidate / HUNDRED) for rate, basis in bases.items()}
        if sum(split.values(), ZERO) == discount:
            return split
    return _split(discount, weights=bases)


def _split(amount: Decimal, *, weights: dict) -> dict:
    """Split ``amount`` in proportion to ``weights``, to the cent, summing exactly (largest remainder)."""
    total = sum(weights.values(), ZERO)
    if not total:
        return {key: ZERO for key in weights}
    raw = {key: amount * weight / total for key, weight in weights.items()}
    floor = {key: (value // Decimal("0.01")) * Decimal("0.01") for key, value in raw.items()}
    rest = int((amount - sum(floor.values(), ZERO)) / Decimal("0.01"))
    for key in sorted(raw, key=lambda k: raw[k] - floor[k], reverse=True)[:rest]:
        floor[key] += Decimal("0.01")
    return floor


def invoice_figures(order: Order, lines) -> dict:
    """The VAT breakdown and totals of an order, by the same EN 16931 rules as its totals.

    An order priced with VAT included keeps the breakdown its totals were worked out with
    (the basis from the gross, VAT = gross - basis: ``catalog.money.gross_totals``); the
    invoice takes it as it is, so its total is the gross the customer saw."""
    if order.prices_include_tax and order.vat_breakdown:
        rows = [{"rate": r["rate"], "basis": r["basis"], "vat": r["vat"]} for r in order.vat_breakdown]
        net = sum((Decimal(r["basis"]) for r in rows), ZERO)
        tax = sum((Decimal(r["vat"]) for r in rows), ZERO)
        return {
            "vat": rows,
            "subtotal": order.subtotal_amount,
            "discount": order.discount_amount,
            "shipping": order.shipping_amount,
            "net": net,
            "tax": tax,
            "total": net + tax,
        }
    bases = {
        rate: basis
        for rate, (basis, _vat) in vat_breakdown((line.tax_rate, line.line_total_amount) for line in lines).items()
    }
    allowances = _allowances(bases, order.discount_amount)
    taxable = [(rate, basis - allowances[rate]) for rate, basis in bases.items()]
    if order.shipping_amount:
        taxable.append((order.shipping_tax_rate, order.shipping_amount))
    breakdown = vat_breakdown(taxable)
    net = sum((basis for basis, _vat in breakdown.values()), ZERO)
    tax = sum((vat for _basis, vat in breakdown.values()), ZERO)
    return {
        "vat": [{"rate": str(rate), "basis": str(basis), "vat": str(vat)} for rate, (basis, vat) in breakdown.items()],
        "subtotal": order.subtotal_amount,
        "discount": order.discount_amount,
        "shipping": order.shipping_amount,
        "net": net,
        "tax": tax,
        "total": net + tax,
    }


def _enqueue_delivery(invoice: Invoice) -> None:
    """After commit: e-mail the PDF when there is an address (the task renders it), else render it.

    A broker that cannot be reached at commit (Redis restarting) must not turn the committed
    payment or order into an error page: the publish is logged and lost, and nothing else is.
    ``email_queued_at`` is in the database, so the beat task re-sends the e-mail, and a PDF not
    rendered yet is rendered when it is first asked for."""
    from billing.tasks import render_invoice_pdf as render_invoice_pdf_task
    from billing.tasks import send_invoice_email as send_invoice_email_task

    if invoice.order.email:
        on_commit_or_log(send_invoice_email_task.delay, invoice_id=invoice.pk)
    else:
        on_commit_or_log(render_invoice_pdf_task.delay, invoice_id=invoice.pk)


def _create(
    *, order: Order, kind: str, series: str, snapshot: dict, figures: dict, due_date=None, corrects=None, by=None
) -> Invoice:
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence_number = _take_number(series=series, year=year)
    invoice = Invoice.objects.create(
        order=order,
        kind=kind,
        corrects=corrects,
        series=series,
        year=year,
        sequence_number=sequence_number,
        number=format_number(series=series, year=year, sequence_number=sequence_number),
        status=InvoiceStatus.PENDING,
        currency=order.currency,
        net_amount=figures["net"],
        tax_amount=figures["tax"],
        total_amount=figures["total"],
        snapshot=snapshot,
        issued_at=now,
        due_date=due_date,
        email_queued_at=now if order.email else None,
    )
    label = _("Credit note") if kind == Invoice.Kind.CREDIT_NOTE else _("Invoice")
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.INVOICE_ISSUED,
        new_value=invoice.number,
        message=_("%(label)s %(number)s issued.") % {"label": label, "number": invoice.number},
        by=by,
    )
    _enqueue_delivery(invoice)
    return invoice


def _money(value: Decimal) -> str:
    return str(quantize(value))


def open_invoice(*, order: Order) -> Invoice | None:
    """The order's invoice that still stands: issued and not fully corrected by credit notes."""
    return (
        order.invoices.filter(kind=Invoice.Kind.INVOICE)
        .annotate(credited=Coalesce(Sum("credit_notes__total_amount"), Value(Decimal("0"))))
        .filter(credited__lt=F("total_amount"))
        .order_by("-issued_at", "-id")
        .first()
    )


@transaction.atomic
def issue_invoice(*, order: Order, by=None) -> Invoice:
    """Issue the order's invoice: next gapless number, snapshot of everything printed.

    Called when the order becomes paid and, for customers on payment terms, at placement
    (with a due date). Refused, before any number is taken, when the store's legal name or
    address is missing, or when the order already has its invoice.
    """
    store = StoreSettings.load()
    _check_store(store)
    order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELLED):
        raise InvoiceRefused(
            _("Order %(number)s is %(status)s; it cannot be invoiced.")
            % {"number": order, "status": order.get_status_display()}
        )
    existing = open_invoice(order=order)
    if existing is not None:
        raise InvoiceRefused(
            _("Order %(number)s already has invoice %(invoice)s.") % {"number": order, "invoice": existing.number}
        )
    lines = list(order.lines.all())
    if not lines:
        raise InvoiceRefused(_("Order %(number)s has no lines to invoice.") % {"number": order})
    figures = invoice_figures(order, lines)
    terms = order.customer.payment_terms_days if order.customer else None
    due_date = None
    if terms is not None and order.payment_status != "paid":
        due_date = timezone.localdate() + datetime.timedelta(days=terms)
    snapshot = {
        "seller": seller_snapshot(store),
        "buyer": _buyer_snapshot(order),
        "order": {
            "number": order.number,
            "placed_at": order.placed_at.isoformat() if order.placed_at else "",
            "channel": str(order.channel_id),
        },
        "lines": [
            {
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price_amount),
                "unit_gross": "" if line.unit_gross_amount is None else str(line.unit_gross_amount),
                "tax_rate": str(line.tax_rate),
                "tax_category": line.tax_category,
                "net": str(line.line_total_amount),
            }
            for line in lines
        ],
        "vat": figures["vat"],
        "subtotal": _money(figures["subtotal"]),
        "discount": _money(figures["discount"]),
        "shipping": _money(figures["shipping"]),
        "shipping_tax_rate": str(order.shipping_tax_rate),
        "net": _money(figures["net"]),
        "tax": _money(figures["tax"]),
        "total": _money(figures["total"]),
        "payment_terms_days": terms,
        "prices_include_tax": order.prices_include_tax,
    }
    return _create(
        order=order,
        kind=Invoice.Kind.INVOICE,
        series=store.invoice_series,
        snapshot=snapshot,
        figures=figures,
        due_date=due_date,
        by=by,
    )


def issue_invoice_on_terms(*, order: Order, by=None) -> Invoice | None:
    """For the order-placing callers: a customer on payment terms is invoiced at placement.

    Returns None for customers who pay first (their invoice comes with the payment)."""
    customer = order.customer
    if customer is None or customer.payment_terms_days is None:
        return None
    if order.invoices.filter(kind=Invoice.Kind.INVOICE).exists():
        return None
    return issue_invoice(order=order, by=by)


@transaction.atomic
def issue_credit_note(*, invoice: Invoice, amount: Decimal, reason: str, by=None) -> Invoice:
    """A credit note for ``amount`` (gross) correcting ``invoice``, split over its VAT rates.

    A full credit repeats the invoice's breakdown; a partial one splits the gross amount in
    proportion to each rate's gross, then takes the VAT out of each part.
    """
    store = StoreSettings.load()
    _check_store(store)
    invoice = Invoice.objects.select_related("order").get(pk=invoice.pk)
    order = Order.objects.select_for_update().get(pk=invoice.order_id)
    amount = quantize(amount)
    vat_rows = invoice.snapshot.get("vat", [])
    if amount >= invoice.total_amount:
        rows = [{"rate": r["rate"], "basis": r["basis"], "vat": r["vat"]} for r in vat_rows]
    else:
        gross = {Decimal(r["rate"]): Decimal(r["basis"]) + Decimal(r["vat"]) for r in vat_rows}
        parts = _split(amount, weights=gross)
        rows = []
        for rate, part in parts.items():
            basis = quantize(part * HUNDRED / (HUNDRED + rate))
            rows.append({"rate": str(rate), "basis": str(basis), "vat": str(part - basis)})
    net = sum((Decimal(r["basis"]) for r in rows), ZERO)
    tax = sum((Decimal(r["vat"]) for r in rows), ZERO)
    figures = {"net": net, "tax": tax, "total": net + tax}
    snapshot = {
        "seller": seller_snapshot(store),
        "buyer": invoice.snapshot.get("buyer", {}),
        "order": invoice.snapshot.get("order", {}),
        "corrects": invoice.number,
        "reason": reason,
        "lines": [
            {
                "sku": "",
                "description": _("Refund on invoice %(number)s: %(reason)s")
                % {"number": invoice.number, "reason": reason},
                "quantity": 1,
                "unit_price": str(r["basis"]),
                "tax_rate": r["rate"],
                "tax_category": "S",
                "net": str(r["basis"]),
            }
            for r in rows
        ],
        "vat": rows,
        "subtotal": _money(net),
        "discount": "0.00",
        "shipping": "0.00",
        "net": _money(net),
        "tax": _money(tax),
        "total": _money(net + tax),
    }
    return _create(
        order=order,
        kind=Invoice.Kind.CREDIT_NOTE,
        series=store.credit_note_series,
        snapshot=snapshot,
        figures=figures,
        corrects=invoice,
        by=by,
    )
