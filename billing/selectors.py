"""Reads of the billing pages and the accounting export, each a fixed number of queries."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from billing.filters import InvoiceFilter
from billing.models import Invoice, Payment, PaymentKind, PaymentStatus
from catalog.money import ZERO
from orders.models import Order


def list_invoices(*, filters: dict | None = None) -> tuple[InvoiceFilter, QuerySet[Invoice]]:
    """Invoices and credit notes, newest first, with their order: one query per page."""
    qs = Invoice.objects.select_related("order", "order__customer", "corrects").order_by("-issued_at", "-id")
    filterset = InvoiceFilter(filters or None, queryset=qs)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, qs.none()
    return filterset, filterset.qs


def get_invoice_for_detail(*, number: str) -> Invoice:
    return (
        Invoice.objects.select_related("order", "order__customer", "corrects")
        .prefetch_related("credit_notes")
        .get(number=number)
    )


def get_order_for_billing(*, number: str) -> Order:
    """The order with its payments and invoices prefetched, as the billing panel expects."""
    return (
        Order.objects.select_related("customer", "channel")
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by").order_by("created_at", "id")),
            Prefetch("invoices", queryset=Invoice.objects.order_by("issued_at", "id")),
        )
        .get(number=number)
    )


@dataclass
class JournalRow:
    date: datetime.date
    kind: str
    kind_label: str
    number: str
    order: str
    customer: str
    currency: str
    net_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)
    net: Decimal | None = None
    tax: Decimal | None = None
    gross: Decimal = ZERO
    method: str = ""


@dataclass
class Journal:
    rows: list[JournalRow]
    rates: list[Decimal]
    totals: dict[str, dict]  # kind -> {"count", "net_by_rate", "net", "tax", "gross"}
    invoiced: dict  # invoices less credit notes
    received: Decimal  # payments less refunds


def _bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def accounting_journal(*, date_from: datetime.date, date_to: datetime.date) -> Journal:
    """Invoices, credit notes, payments and refunds in the range, as journal rows.

    Credit notes and refunds are negative, so every column sums to what the period
    invoiced and received; the totals page and the CSV are built from the same rows.
    """
    start, end = _bounds(date_from, date_to)
    rows: list[JournalRow] = []
    invoices = (
        Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .select_related("order")
        .order_by("issued_at", "id")
    )
    for invoice in invoices:
        sign = -1 if invoice.kind == Invoice.Kind.CREDIT_NOTE else 1
        by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
        for vat_row in invoice.snapshot.get("vat", []):
            by_rate[Decimal(vat_row["rate"])] += sign * Decimal(vat_row["basis"])
        rows.append(
            JournalRow(
                date=timezone.localtime(invoice.issued_at).date(),
                kind=invoice.kind,
                kind_label=str(invoice.get_kind_display()),
                number=invoice.number,
                order=invoice.order.number or "",
                customer=invoice.snapshot.get("buyer", {}).get("name", "") or invoice.order.customer_name,
                currency=invoice.currency,
                net_by_rate=dict(by_rate),
                net=sign * invoice.net_amount,
                tax=sign * invoice.tax_amount,
                gross=sign * invoice.total_amount,
            )
        )
    payments = (
        Payment.objects.filter(created_at__gte=start, created_at__lt=end, status=PaymentStatus.VERIFIED)
        .select_related("order")
        .order_by("created_at", "id")
    )
    for payment in payments:
        sign = -1 if payment.kind == PaymentKind.REFUND else 1
        rows.append(
            JournalRow(
                date=timezone.localtime(payment.created_at).date(),
                kind=payment.kind,
                kind_label=str(payment.get_kind_display()),
                number=payment.reference or f"P{payment.pk}",
                order=payment.order.number or "",
                customer=payment.order.customer_name,
                currency=payment.currency,
                gross=sign * payment.amount,
                method=str(payment.get_method_display()),
            )
        )
    rows.sort(key=lambda row: (row.date, row.kind != Invoice.Kind.INVOICE, row.number))
    rates = sorted({rate for row in rows for rate in row.net_by_rate})
    totals: dict[str, dict] = {}
    for row in rows:
        bucket = totals.setdefault(
            row.kind,
            {
                "label": row.kind_label,
                "count": 0,
                "net_by_rate": defaultdict(lambda: ZERO),
                "net": ZERO,
                "tax": ZERO,
                "gross": ZERO,
            },
        )
        bucket["count"] += 1
        for rate, amount in row.net_by_rate.items():
            bucket["net_by_rate"][rate] += amount
        bucket["net"] += row.net or ZERO
        bucket["tax"] += row.tax or ZERO
        bucket["gross"] += row.gross
    for kind, bucket in totals.items():
        if kind in (PaymentKind.PAYMENT, PaymentKind.REFUND):  # money moved, not taxable supplies
            bucket.update(net_by_rate=[None] * len(rates), net=None, tax=None)
        else:
            bucket["net_by_rate"] = [bucket["net_by_rate"].get(rate, ZERO) for rate in rates]
    documents = [totals[k] for k in (Invoice.Kind.INVOICE, Invoice.Kind.CREDIT_NOTE) if k in totals]
    invoiced = {
        "net_by_rate": [sum((d["net_by_rate"][i] for d in documents), ZERO) for i in range(len(rates))],
        "net": sum((d["net"] for d in documents), ZERO),
        "tax": sum((d["tax"] for d in documents), ZERO),
        "gross": sum((d["gross"] for d in documents), ZERO),
    }
    received = sum((totals[k]["gross"] for k in (PaymentKind.PAYMENT, PaymentKind.REFUND) if k in totals), ZERO)
    return Journal(rows=rows, rates=rates, totals=totals, invoiced=invoiced, received=received)


def count_failed_invoice_emails() -> int:
    """Invoices whose e-mail failed and has not gone out since (the dashboard's "needs attention")."""
    return Invoice.objects.exclude(email_error="").filter(emailed_at__isnull=True).count()


def get_invoice_xml(*, invoice: Invoice) -> bytes:
    """The invoice's or credit note's Factur-X / CII XML (EN 16931), built from its snapshot.

    The same bytes are embedded in its PDF as ``factur-x.xml``; the back-office and the API
    offer them alone to buyers whose systems take XRechnung-style CII."""
    from billing.services.facturx import build_facturx_xml

    return build_facturx_xml(invoice)
