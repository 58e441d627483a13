"""Invoice, credit note and receipt PDFs, rendered by WeasyPrint from HTML templates.

Fonts and CSS ship with the project (``static/``, given to WeasyPrint as ``base_url``) so
the document looks the same on every machine. The PDF is rendered in memory, written to a
temporary name next to its final one and moved into place: a worker killed mid-render
leaves no file, and a second render of the same invoice replaces the same file, so there is
always one PDF per invoice.
"""

import atexit
import base64
import functools
import gc
import logging
import mimetypes
import os
import re
import tempfile
import threading
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import strip_spaces_between_tags

from billing.models import Invoice, InvoiceStatus
from billing.services.facturx import XML_FILENAME, EInvoiceError, build_facturx_xml

STATIC_DIR = Path(settings.BASE_DIR) / "static"
logger = logging.getLogger(__name__)


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
        "printed_at": timezone.now(),
    }


class _Renderer:
    """WeasyPrint's parsed stylesheets and fonts, kept for the life of the process.

    Parsing ``invoice.css`` and loading its ``@font-face`` fonts into a fresh
    ``FontConfiguration`` took a large share of every render; both are the same for every
    document, so they are built once per thread (Pango's font maps are not shared across
    threads) and reused. Files under ``static/`` are read from disk, never through a URL
    fetch that could leave the machine.
    """

    def __init__(self) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.stylesheets = {
            name: CSS(
                filename=str(STATIC_DIR / "css" / name), font_config=self.font_config, url_fetcher=static_fetcher()
            )
            for name in ("pdf_fonts.css", "invoice.css")
        }
        self.image_cache: dict = {}

    def write_pdf(self, html: str, *, sheets: tuple[str, ...], **options) -> bytes:
        from weasyprint import HTML

        # The cyclic garbage collector is paused while WeasyPrint works: a render allocates
        # ~100k objects (boxes pointing at their parents), so with the default thresholds it ran
        # ~25 young and, every few documents, one full collection over the whole process
        # (Django, the parsed stylesheets, the fonts) per render: ~60 ms of a ~300 ms render.
        # Paused, the render's cycles are freed by one young collection right after (~30 ms).
        # Process-wide, so only the outermost render re-enables it (threads rendering at once).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=static_fetcher())
            return document.write_pdf(
                stylesheets=[self.stylesheets[name] for name in sheets],
                font_config=self.font_config,
                cache=self.image_cache,
                optimize_images=True,
                **options,
            )
        finally:
            if was_enabled:
                gc.enable()


_local = threading.local()
# Drop the main thread's renderer before the interpreter tears modules down (its font
# configuration's __del__ needs them).
atexit.register(lambda: _local.__dict__.clear())


def _renderer() -> _Renderer:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = _Renderer()
    return renderer


@functools.cache
def _static_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        """Serve ``file:`` URLs inside ``static/`` and the media folder from disk; refuse the rest.

        Documents only refer to the project's fonts and CSS and to the store's logo, so a
        template naming any other URL renders without it instead of fetching it.
        """

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                roots = (STATIC_DIR.resolve(), Path(settings.MEDIA_ROOT).resolve())
                if any(path.is_relative_to(root) for root in roots):
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
            raise ValueError(f"documents do not fetch {url[:80]}")

    return StaticFetcher


def static_fetcher():
    return _static_fetcher_class()()


def html_to_pdf(html: str, *, sheets: tuple[str, ...] = ("pdf_fonts.css",), **options) -> bytes:
    return _renderer().write_pdf(html, sheets=sheets, **options)


@functools.cache
def _facturx_xmp() -> bytes:
    """The rdf:Description elements of ``static/xmp/factur-x.xmp`` (its rdf:RDF wrapper removed)."""
    text = (STATIC_DIR / "xmp" / "factur-x.xmp").read_bytes()
    text = re.sub(rb"<!--.*?-->", b"", text, flags=re.S)
    start = text.index(b">", text.index(b"<rdf:RDF")) + 1
    return text[start : text.rindex(b"</rdf:RDF>")].strip()


def _facturx_finisher(document, pdf) -> None:
    """Put the Factur-X XMP properties inside WeasyPrint's one rdf:RDF (XMP allows one) and list
    the attachment once in the catalog's /AF array (WeasyPrint 70 adds it twice)."""
    import pydyf

    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    packet = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in metadata.stream)
    metadata.stream = [packet.replace(b"</rdf:RDF>", _facturx_xmp() + b"</rdf:RDF>", 1)]
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def facturx_options(xml: bytes) -> dict:
    """WeasyPrint options that make the PDF a Factur-X one: PDF/A-3b, the XML attached as
    ``factur-x.xml`` (relationship ``Data``, type text/xml) and the Factur-X XMP properties."""
    from weasyprint import Attachment

    attachment = Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"),
        url_fetcher=static_fetcher(),
        name=XML_FILENAME,
        description="Factur-X invoice (EN 16931)",
        relationship="Data",
    )
    return {"pdf_variant": "pdf/a-3b", "attachments": [attachment], "finisher": _facturx_finisher}


def build_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice or credit note as a Factur-X PDF: the page a person reads, the XML inside."""
    try:
        options = facturx_options(build_facturx_xml(invoice))
    except EInvoiceError:
        # A snapshot from before e-invoices that does not add up: the customer still gets the
        # readable PDF; the error is logged for someone to look at.
        logger.exception("Invoice %s: no Factur-X XML, rendering the plain PDF", invoice.number)
        options = {}
    # Whitespace between tags would become anonymous boxes WeasyPrint lays out one by one.
    html = strip_spaces_between_tags(render_to_string("billing/invoice_pdf.html", document_context(invoice)))
    return html_to_pdf(html, sheets=("pdf_fonts.css", "invoice.css"), **options)


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
