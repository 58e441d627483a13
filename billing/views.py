"""Billing pages: take a payment, refund with a confirmation step, invoices, the export.

Thin: check the permission, bind a form, call one service or selector, render or redirect.
A service's refusal goes back on the form with its message, and nothing has changed.
"""

import csv
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.exceptions import BillingError
from billing.forms import ExportForm, PaymentForm, RefundForm
from billing.models import BulkJobKind, Invoice, InvoiceBulkJob, PaymentMethod
from billing.providers import WebhookRejected, get_provider
from billing.selectors import accounting_journal, get_invoice_for_detail, get_order_for_billing, list_invoices
from billing.services import (
    build_receipt_pdf,
    confirm_provider_payment,
    open_balance,
    open_bulk_result,
    record_payment,
    refund_payment,
    refundable_amount,
    render_invoice_pdf,
    resend_invoice_email,
    start_invoice_bulk_job,
)
from catalog.money import ZERO
from orders.models import Order

TAKE_PAYMENT = "billing.add_payment"
VIEW_INVOICE = "billing.view_invoice"
PAGE_SIZE = 50


def _order_or_404(number: str) -> Order:
    try:
        return get_order_for_billing(number=number)
    except Order.DoesNotExist:
        raise Http404(_("No order with this number.")) from None


def _order_url(order: Order) -> str:
    return reverse("orders:order-detail", args=[order.number])


def _change_due(data, balance: Decimal) -> Decimal | None:
    """What to hand back for a cash payment, from the form as typed (no validation needed)."""
    if data.get("method") != PaymentMethod.CASH:
        return None
    try:
        amount = Decimal(data.get("amount") or "0")
        tendered = Decimal(data.get("cash_tendered") or data.get("amount") or "0")
    except ArithmeticError:
        return None
    if not (amount.is_finite() and tendered.is_finite()):
        return None
    return max(tendered - min(amount, balance), ZERO)


@login_required
@permission_required(TAKE_PAYMENT, raise_exception=True)
def payment_new_view(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(number)
    balance = open_balance(order=order)
    form = PaymentForm(request.POST or None, initial={"amount": balance})
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            payment = record_payment(
                order=order,
                method=data["method"],
                amount=data["amount"],
                currency=order.currency,
                reference=data["reference"],
                cash_tendered=data["cash_tendered"],
                by=request.user,
            )
        except BillingError as exc:
            form.add_error(None, exc.message)
        else:
            text = _("Payment of %(amount)s %(currency)s recorded on order %(number)s.") % {
                "amount": payment.amount,
                "currency": payment.currency,
                "number": order.number,
            }
            if payment.change_amount:
                text += " " + _("Change to give: %(change)s %(currency)s.") % {
                    "change": payment.change_amount,
                    "currency": payment.currency,
                }
            messages.success(request, text)
            return redirect(_order_url(order))
    context = {"order": order, "form": form, "balance": balance, "change_due": _change_due(form.data, balance)}
    return render(request, "billing/payment_form.html", context)


@login_required
@permission_required(TAKE_PAYMENT, raise_exception=True)
@require_POST
def payment_change_view(request: HttpRequest, number: str) -> HttpResponse:
    """htmx: the change due, recomputed as the clerk types."""
    order = _order_or_404(number)
    balance = open_balance(order=order)
    return render(
        request,
        "billing/partials/_change_due.html",
        {"order": order, "change_due": _change_due(request.POST, balance), "balance": balance},
    )


def _asked_amount(value, refundable: Decimal) -> Decimal:
    """The amount a link proposes (a return's value), never more than can be refunded; else all of it."""
    try:
        amount = Decimal(value or "").quantize(Decimal("0.01"))
        return min(amount, refundable) if amount > 0 else refundable
    except ArithmeticError:  # not a number, NaN, infinite, too large
        return refundable


def _asked_reason(request: HttpRequest) -> str:
    return (request.GET.get("reason") or "").replace("\x00", "").strip()[:200]


@login_required
@permission_required(TAKE_PAYMENT, raise_exception=True)
def refund_new_view(request: HttpRequest, number: str) -> HttpResponse:
    """Two steps: the form, then a confirmation page that posts the same values with ``confirm``.

    A return's page links here with its value and reason (``?amount=…&reason=…``) as the proposal."""
    order = _order_or_404(number)
    refundable = refundable_amount(order=order)
    initial = {"amount": _asked_amount(request.GET.get("amount"), refundable), "reason": _asked_reason(request)}
    form = RefundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            return render(request, "billing/refund_confirm.html", {"order": order, "form": form, "data": data})
        try:
            refund = refund_payment(
                order=order,
                amount=data["amount"],
                reason=data["reason"],
                method=data["method"] or None,
                by=request.user,
            )
        except BillingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Refund of %(amount)s %(currency)s recorded on order %(number)s.")
                % {"amount": refund.amount, "currency": refund.currency, "number": order.number},
            )
            return redirect(_order_url(order))
    return render(request, "billing/refund_form.html", {"order": order, "form": form, "refundable": refundable})


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    filterset, invoices = list_invoices(filters=request.GET.copy())
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    applied = []
    if filterset.is_bound and filterset.form.is_valid():
        for name, value in filterset.form.cleaned_data.items():
            if value in (None, ""):
                continue
            without = request.GET.copy()
            without.pop(name, None)
            without.pop("page", None)
            field = filterset.form.fields[name]
            shown = dict(field.choices).get(value, value) if hasattr(field, "choices") else value
            applied.append({"label": field.label, "value": shown, "url": f"?{without.urlencode()}"})
    context = {"filter": filterset, "page": page, "query": params.urlencode(), "applied": applied}
    return render(request, "billing/invoice_list.html", context)


def _invoice_or_404(number: str) -> Invoice:
    try:
        return get_invoice_for_detail(number=number)
    except Invoice.DoesNotExist:
        raise Http404(_("No invoice with this number.")) from None


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice_or_404(number)
    context = {
        "invoice": invoice,
        "snapshot": invoice.snapshot,
        "lines": invoice.snapshot.get("lines", []),
        "vat_rows": invoice.snapshot.get("vat", []),
    }
    return render(request, "billing/invoice_detail.html", context)


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_pdf_view(request: HttpRequest, number: str) -> FileResponse:
    invoice = _invoice_or_404(number)
    invoice = render_invoice_pdf(invoice_id=invoice.pk)  # no-op when stored
    return FileResponse(
        default_storage.open(invoice.pdf.name, "rb"),
        as_attachment="download" in request.GET,
        filename=f"{invoice.number}.pdf",
        content_type="application/pdf",
    )


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_xml_view(request: HttpRequest, number: str) -> HttpResponse:
    """The Factur-X / CII XML alone (EN 16931), for buyers whose systems take XML invoices."""
    from billing.selectors import get_invoice_xml

    invoice = _invoice_or_404(number)
    response = HttpResponse(get_invoice_xml(invoice=invoice), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    return response


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_receipt_view(request: HttpRequest, number: str) -> FileResponse:
    invoice = _invoice_or_404(number)
    return FileResponse(
        io.BytesIO(build_receipt_pdf(invoice)), filename=f"{invoice.number}-receipt.pdf", content_type="application/pdf"
    )


@login_required
@permission_required(("billing.view_invoice", "billing.add_invoice"), raise_exception=True)
@require_POST
def invoice_resend_view(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _invoice_or_404(number)
    try:
        invoice = resend_invoice_email(invoice=invoice, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(number)s will be e-mailed again to %(email)s.")
            % {"number": invoice.number, "email": invoice.order.email},
        )
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("billing:invoice-detail", number=invoice.number)


def _cell(value) -> str:
    """Text a spreadsheet would run as a formula is quoted (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _rate(rate: Decimal) -> str:
    """19.00 -> "19", 5.50 -> "5.5" (never Decimal.normalize's "1E+1" for 10)."""
    return f"{rate:f}".rstrip("0").rstrip(".") if "." in f"{rate:f}" else f"{rate:f}"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


@login_required
@permission_required(("billing.view_invoice", "billing.view_payment"), raise_exception=True)
def export_view(request: HttpRequest) -> HttpResponse:
    """The journal for a date range: the totals page, or the same rows as CSV (``?format=csv``)."""
    form = ExportForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        return render(request, "billing/export.html", {"form": form, "journal": None})
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    journal = accounting_journal(date_from=start, date_to=end)
    if request.GET.get("format") != "csv":
        csv_query = request.GET.copy()
        csv_query["format"] = "csv"
        return render(
            request,
            "billing/export.html",
            {"form": form, "journal": journal, "csv_url": f"?{csv_query.urlencode()}"},
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rate_headers = [_("Net %(rate)s %%") % {"rate": _rate(rate)} for rate in journal.rates]
    head = [_("Date"), _("Type"), _("Number"), _("Order"), _("Customer"), _("Currency")]
    writer.writerow([*head, *rate_headers, _("Net"), _("VAT"), _("Gross"), _("Method")])
    for row in journal.rows:
        writer.writerow(
            [
                row.date.isoformat(),
                row.kind,
                _cell(row.number),
                _cell(row.order),
                _cell(row.customer),
                row.currency,
                *[row.net_by_rate.get(rate, "") for rate in journal.rates],
                "" if row.net is None else row.net,
                "" if row.tax is None else row.tax,
                row.gross,
                _cell(row.method),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-{start.isoformat()}-{end.isoformat()}.csv"'
    return response


@csrf_exempt
@require_POST
def payment_webhook_view(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's signed confirmation: 401 for a bad signature or a replay, 400 for a
    malformed or refused payment (nothing changes), 200 when recorded or already known."""
    import time

    from django.http import JsonResponse

    try:
        confirmation = get_provider(provider).parse(body=request.body, headers=request.headers, now=time.time())
    except WebhookRejected as exc:
        return JsonResponse({"error": exc.reason}, status=exc.status)
    try:
        payment, created = confirm_provider_payment(confirmation=confirmation)
    except BillingError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"status": "recorded" if created else "duplicate", "payment": payment.pk})


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
@require_POST
def invoice_bulk_view(request: HttpRequest) -> HttpResponse:
    """The list's bulk bar: start a background job (ZIP of the PDFs, or e-mail them again)
    and go to its progress page. Re-sending also needs the permission to issue invoices."""
    action = request.POST.get("action", "")
    if action == BulkJobKind.RESEND and not request.user.has_perm("billing.add_invoice"):
        raise PermissionDenied
    try:
        job = start_invoice_bulk_job(kind=action, numbers=request.POST.getlist("selected"), by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        target = request.POST.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("billing:invoice-list")
    return redirect("billing:invoice-job", pk=job.pk)


def _job_or_404(pk: int) -> InvoiceBulkJob:
    try:
        return InvoiceBulkJob.objects.select_related("created_by").get(pk=pk)
    except InvoiceBulkJob.DoesNotExist:
        raise Http404(_("No such job.")) from None


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress; htmx polls the progress partial until the job is finished."""
    job = _job_or_404(pk)
    if not request.htmx:
        return render(request, "billing/bulk_job.html", {"job": job})
    response = render(request, "billing/partials/_bulk_job_progress.html", {"job": job})
    if job.is_finished:
        response["HX-Refresh"] = "true"  # the whole page again: the download button, the problems
    return response


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_job_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(pk)
    try:
        handle = open_bulk_result(job=job)
    except BillingError as exc:
        raise Http404(exc.message) from None
    return FileResponse(handle, as_attachment=True, filename=f"invoices-{job.pk}.zip", content_type="application/zip")
