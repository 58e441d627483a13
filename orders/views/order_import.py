"""Importing orders from a marketplace's CSV export: upload, preview, confirm, progress, report.

Thin: the checking and the placing are ``shipping.services.order_import`` (it prices
delivery, so it lives in the highest app it touches); the placing runs in a Celery task
and this page polls a small status partial (htmx, no inline script).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders.models import OrderImport, OrderImportStatus
from shipping.services.order_import import (
    COLUMNS,
    MAX_FILE_BYTES,
    REQUIRED_COLUMNS,
    ImportFileError,
    create_order_import,
    start_order_import,
)

PERMISSION = "orders.add_orderimport"


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "One row per order line, grouped by external_reference; the first line names the columns."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv", "class": "form-control"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; split it into smaller files."))
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file (the marketplace's order export saved as CSV)."))
        return upload


@login_required
@permission_required(PERMISSION, raise_exception=True)
def order_import_view(request: HttpRequest) -> HttpResponse:
    bound = request.method == "POST"
    form = OrderImportForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = create_order_import(filename=upload.name, raw=upload.read(), by=request.user)
        except ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("orders:order-import-detail", pk=job.pk)
    jobs = Paginator(OrderImport.objects.select_related("created_by").defer("content", "preview", "results"), 20)
    context = {
        "form": form,
        "jobs": jobs.get_page(request.GET.get("page")),
        "columns": COLUMNS,
        "required_columns": REQUIRED_COLUMNS,
    }
    return render(request, "orders/order_import.html", context, status=400 if form.errors else 200)


def _progress_context(job: OrderImport) -> dict:
    return {
        "job": job,
        "poll_url": reverse("orders:order-import-status", kwargs={"pk": job.pk}),
        "done": job.done,
        "total": job.total,
        "finished": job.is_finished,
        "failed": job.status == OrderImportStatus.FAILED,
        "error": job.error,
        "label": _("Importing orders"),
    }


@login_required
@permission_required(PERMISSION, raise_exception=True)
def order_import_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(OrderImport.objects.select_related("created_by"), pk=pk)
    results = job.results or []
    context = {
        **_progress_context(job),
        "preview": job.preview or {},
        "results": results,
        "counts": job.counts(),
        "refused": [r for r in results if r.get("outcome") == "refused"],
    }
    return render(request, "orders/order_import_detail.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def order_import_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(OrderImport, pk=pk)
    try:
        start_order_import(job=job, by=request.user)
    except ImportFileError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Import started: %(count)s orders to place.") % {"count": job.preview["counts"]["ready"]}
        )
    return redirect("orders:order-import-detail", pk=job.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def order_import_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial, polled every second; once the job ends the page reloads to show the report."""
    job = get_object_or_404(OrderImport.objects.defer("content", "preview", "results"), pk=pk)
    response = render(request, "partials/_progress.html", _progress_context(job))
    if job.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response
