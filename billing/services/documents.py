"""Invoice, credit note and receipt PDFs, rendered by WeasyPrint from HTML templates.

Fonts and CSS ship with the project (``static/``, given to WeasyPrint as ``base_url``) so
the document looks the same on every machine. The PDF is rendered in memory, written to a
temporary name next to its final one and moved into place: a worker killed mid-render
leaves no file, and a second render of the same invoice replaces the same file, so there is
always one PDF per invoice.
"""

import os
import tempfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus

STATIC_DIR = Path(settings.BASE_DIR) / "static"


def _decimal_rows(rows: list[dict], *fields: str) -> list[dict]:
    return [{**row, **{f: Decimal(row[f]) for f in fields if row.get(f) not in (None, "")}} for row in rows]


def document_context(invoice: Invoice) -> dict:
    """What the PDF templates print: the invoice's snapshot, never the live order."""
    snapshot = invoice.snapshot
    order = invoice.order
    logo_path = ""
    logo = snapshot.get("seller", {}).get("logo")
    if logo:
        try:
            path = Path(default_storage.path(logo))
            logo_path = path.as_uri() if path.exists() else ""
        except NotImplementedError:
            logo_path = default_storage.url(logo)
    return {
        "invoice": invoice,
        "is_credit_note": invoice.kind == Invoice.Kind.CREDIT_NOTE,
        "seller": snapshot.get("seller", {}),
        "buyer": snapshot.get("buyer", {}),
        "order_info": snapshot.get("order", {}),
        "lines": _decimal_rows(snapshot.get("lines", []), "unit_price", "tax_rate", "net"),
        "vat_rows": [
            {**row, "gross": row["basis"] + row["vat"]}
            for row in _decimal_rows(snapshot.get("vat", []), "rate", "basis", "vat")
        ],
        "subtotal": Decimal(snapshot.get("subtotal", "0")),
        "discount": Decimal(snapshot.get("discount", "0")),
        "shipping": Decimal(snapshot.get("shipping", "0")),
        "net": invoice.net_amount,
        "tax": invoice.tax_amount,
        "total": invoice.total_amount,
        "currency": invoice.currency,
        "is_paid": invoice.kind == Invoice.Kind.INVOICE and order.payment_status in ("paid", "partially_refunded"),
        "payments": list(order.payments.filter(kind="payment", status="verified").order_by("created_at")),
        "reason": snapshot.get("reason", ""),
        "corrects": snapshot.get("corrects", ""),
        "logo_url": logo_path,
        "font_dir": (STATIC_DIR / "fonts" / "dejavu").as_uri(),
        "printed_at": timezone.now(),
    }


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").write_pdf()


def build_invoice_pdf(invoice: Invoice) -> bytes:
    html = render_to_string("billing/invoice_pdf.html", document_context(invoice))
    return html_to_pdf(html)


def build_receipt_pdf(invoice: Invoice) -> bytes:
    """The 80 mm till receipt of an in-person sale (printed on demand, not stored)."""
    context = document_context(invoice)
    context["page_height_mm"] = 100 + 9 * len(context["lines"]) + 6 * len(context["vat_rows"])
    html = render_to_string("billing/receipt_pdf.html", context)
    return html_to_pdf(html)


def pdf_name(invoice: Invoice) -> str:
    return f"invoices/{invoice.year}/{invoice.number}.pdf"


def _store_atomically(name: str, content: bytes) -> str:
    """Write to a temporary file beside the target, then rename over it (one file, never half)."""
    try:
        target = Path(default_storage.path(name))
    except NotImplementedError:  # remote storage: its save is already all-or-nothing
        if default_storage.exists(name):
            default_storage.delete(name)
        return default_storage.save(name, ContentFile(content))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def render_invoice_pdf(*, invoice_id: int) -> Invoice:
    """Render the invoice's PDF once and mark it ready; skipped when the file exists."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    if invoice.pdf and default_storage.exists(invoice.pdf.name):
        return invoice
    content = build_invoice_pdf(invoice)  # slow: outside any lock
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice_id)
        if invoice.pdf and default_storage.exists(invoice.pdf.name):
            return invoice
        invoice.pdf.name = _store_atomically(pdf_name(invoice), content)
        invoice.status = InvoiceStatus.READY
        invoice.save(update_fields=["pdf", "status"])
    return invoice
