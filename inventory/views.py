"""Stock pages: the overview, a variant's stock card, the four stock forms and CSV in and out.

Views stay thin: they check the permission, bind a form, call one selector or service and
render or redirect. A service's refusal goes back on the form with its message, and
nothing has changed.
"""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Variant
from inventory.exceptions import InventoryError
from inventory.filters import SORT_FIELDS, StockLevelFilter
from inventory.forms import (
    AdjustStockForm,
    CountStockForm,
    ReceiveStockForm,
    StockCountImportForm,
    TransferStockForm,
)
from inventory.models import Location
from inventory.selectors import (
    get_variant_for_stock_card,
    list_ledger_for_variant,
    list_levels_for_variant,
    stock_levels_with_figures,
)
from inventory.services import adjust_stock, count_stock, transfer_stock
from orders.services import receive_stock_and_fill_backorders

VIEW = "inventory.view_stocklevel"
CHANGE = ("inventory.change_stocklevel", "inventory.add_stockmovement")
PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 25

COLUMNS = [
    ("sku", gettext_lazy("SKU"), False),
    ("product", gettext_lazy("Product"), False),
    ("location", gettext_lazy("Location"), False),
    ("on_hand", gettext_lazy("On hand"), True),
    ("reserved", gettext_lazy("Reserved"), True),
    ("available", gettext_lazy("Available"), True),
    ("threshold", gettext_lazy("Threshold"), True),
]


def _filtered_levels(request: HttpRequest) -> StockLevelFilter:
    qs = stock_levels_with_figures().order_by("variant__sku", "location__priority", "location__name", "pk")
    filterset = StockLevelFilter(request.GET or None, queryset=qs)
    return filterset


def _ordered(filterset: StockLevelFilter):
    """The filtered rows, with the level id last so that pages never repeat or skip a row."""
    qs = filterset.qs
    ordering = list(qs.query.order_by)
    if ordering and ordering[-1] not in ("pk", "-pk"):
        qs = qs.order_by(*ordering, "pk")
    return qs


def _sort_columns(request: HttpRequest) -> list[dict]:
    """Each column header's link: sorts by it, or reverses the order when it is the current one."""
    current = request.GET.get("o", "")
    keys = {key for _field, key in SORT_FIELDS}
    columns = []
    for key, label, numeric in COLUMNS:
        params = request.GET.copy()
        params.pop("page", None)
        direction = "asc" if current == key else "desc" if current == f"-{key}" else ""
        params["o"] = f"-{key}" if direction == "asc" else key
        columns.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "sortable": key in keys,
                "url": f"?{params.urlencode()}",
                "direction": direction,
            }
        )
    return columns


@login_required
@permission_required(VIEW, raise_exception=True)
def stock_list_view(request: HttpRequest) -> HttpResponse:
    filterset = _filtered_levels(request)
    if filterset.is_bound and not filterset.is_valid():
        levels = stock_levels_with_figures().none()
    else:
        levels = _ordered(filterset)
    page = Paginator(levels, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    applied = [
        {
            "label": filterset.form.fields[name].label,
            "value": _chip_value(filterset, name),
            "url": _without(request, name),
        }
        for name in ("q", "location", "category", "low", "backordered")
        if filterset.is_bound and filterset.form.is_valid() and filterset.form.cleaned_data.get(name)
    ]
    context = {
        "filter": filterset,
        "page": page,
        "columns": _sort_columns(request),
        "query": params.urlencode(),
        "applied": applied,
        # The low-stock filter annotates a reorder suggestion: show it only then.
        "show_reorder": any(chip["label"] == filterset.form.fields["low"].label for chip in applied),
        "export_url": f"{reverse('inventory:stock-export')}?{params.urlencode()}",
    }
    return render(request, "inventory/stocklevel_list.html", context)


def _chip_value(filterset: StockLevelFilter, name: str) -> str:
    value = filterset.form.cleaned_data.get(name)
    return "" if value is True else str(value)


def _without(request: HttpRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    params.pop("page", None)
    return f"?{params.urlencode()}"


class _Echo:
    """A file-like object that hands back what is written: csv.writer feeds the stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str | int:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


@login_required
@permission_required(VIEW, raise_exception=True)
def stock_export_view(request: HttpRequest) -> StreamingHttpResponse:
    """The overview's rows as CSV, filters and sort included; streamed so a large stock never sits in memory."""
    filterset = _filtered_levels(request)
    levels = _ordered(filterset) if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(
            [
                "sku",
                "barcode",
                "product",
                "variant",
                "category",
                "location",
                "on_hand",
                "reserved",
                "available",
                "threshold",
                "low_stock",
            ]
        )
        for level in levels.iterator(chunk_size=2000):
            variant = level.variant
            yield writer.writerow(
                [
                    _cell(variant.sku),
                    _cell(variant.barcode),
                    _cell(variant.product.name),
                    _cell(variant.name),
                    _cell(variant.product.category.name),
                    level.location.code,
                    level.on_hand,
                    level.reserved,
                    level.available_qty,
                    level.threshold,
                    "yes" if level.is_low else "no",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"stock-levels-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def stock_card_view(request: HttpRequest, sku: str) -> HttpResponse:
    try:
        variant = get_variant_for_stock_card(sku=sku)
    except Variant.DoesNotExist:
        raise Http404(_("No variant has the SKU %(sku)s.") % {"sku": sku}) from None
    levels = list(list_levels_for_variant(variant=variant))
    ledger = Paginator(list_ledger_for_variant(variant=variant), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    totals = {
        "on_hand": sum(level.on_hand for level in levels),
        "reserved": sum(level.reserved for level in levels),
        "available": sum(level.available_qty for level in levels),
    }
    context = {"variant": variant, "levels": levels, "ledger": ledger, "totals": totals, "today": timezone.localdate()}
    return render(request, "inventory/stock_card.html", context)


# ------------------------------------------------------------------------------
# The four stock forms
# ------------------------------------------------------------------------------
def _next_url(request: HttpRequest, variant: Variant) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    # A path, not a bare word: ``redirect("ab")`` would look "ab" up as a URL name and fail.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return reverse("inventory:stock-card", kwargs={"sku": variant.sku})


def _stock_form(request: HttpRequest, *, form_class, action, title: str, submit: str) -> HttpResponse:
    """GET shows the form (SKU and location from the query string); POST calls ``action``.

    ``action(form, user)`` calls exactly one service and returns the success message; an
    ``InventoryError`` becomes a form error, the page answers 200 and nothing changed.
    """
    variant = None
    sku = request.GET.get("sku", "")
    if sku and "\x00" not in sku:  # no SKU holds a NUL byte, and PostgreSQL cannot compare text with one
        variant = Variant.objects.filter(sku=sku).first()
    initial = {key: request.GET[key] for key in ("location", "from_location", "to_location") if key in request.GET}
    if request.method == "POST":
        form = form_class(request.POST, initial=initial)
        if form.is_valid():
            try:
                message = action(form, request.user)
            except InventoryError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, message)
                return redirect(_next_url(request, form.cleaned_data["variant"]))
    else:
        form = form_class(initial=initial, variant=variant)
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "variant": variant or getattr(form, "cleaned_data", {}).get("variant"),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "inventory/stock_form.html", context)


@login_required
@permission_required(CHANGE, raise_exception=True)
def stock_receive_view(request: HttpRequest) -> HttpResponse:
    def action(form: ReceiveStockForm, user) -> str:
        data = form.cleaned_data
        level = receive_stock_and_fill_backorders(
            variant=data["variant"],
            location=data["location"],
            quantity=data["quantity"],
            by=user,
            reason=data["reason"],
        )
        return _("Received %(qty)s × %(sku)s at %(location)s — %(on_hand)s on hand, %(available)s available.") % {
            "qty": data["quantity"],
            "sku": data["variant"].sku,
            "location": data["location"].name,
            "on_hand": level.on_hand,
            "available": level.available,
        }

    return _stock_form(
        request, form_class=ReceiveStockForm, action=action, title=_("Receive stock"), submit=_("Receive")
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
def stock_adjust_view(request: HttpRequest) -> HttpResponse:
    def action(form: AdjustStockForm, user) -> str:
        data = form.cleaned_data
        level = adjust_stock(
            variant=data["variant"], location=data["location"], delta=data["delta"], reason=form.reason_text, by=user
        )
        return _("Adjusted %(sku)s at %(location)s by %(delta)+d — %(on_hand)s on hand.") % {
            "sku": data["variant"].sku,
            "location": data["location"].name,
            "delta": data["delta"],
            "on_hand": level.on_hand,
        }

    return _stock_form(request, form_class=AdjustStockForm, action=action, title=_("Adjust stock"), submit=_("Adjust"))


@login_required
@permission_required(CHANGE, raise_exception=True)
def stock_count_view(request: HttpRequest) -> HttpResponse:
    def action(form: CountStockForm, user) -> str:
        data = form.cleaned_data
        level = count_stock(variant=data["variant"], location=data["location"], counted=data["counted"], by=user)
        return _("Counted %(sku)s at %(location)s: %(on_hand)s on hand.") % {
            "sku": data["variant"].sku,
            "location": data["location"].name,
            "on_hand": level.on_hand,
        }

    return _stock_form(
        request, form_class=CountStockForm, action=action, title=_("Count stock"), submit=_("Save count")
    )


@login_required
@permission_required(CHANGE, raise_exception=True)
def stock_transfer_view(request: HttpRequest) -> HttpResponse:
    def action(form: TransferStockForm, user) -> str:
        data = form.cleaned_data
        transfer_stock(
            variant=data["variant"],
            from_location=data["from_location"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            by=user,
            reason=data["reason"],
        )
        return _("Moved %(qty)s × %(sku)s from %(source)s to %(target)s.") % {
            "qty": data["quantity"],
            "sku": data["variant"].sku,
            "source": data["from_location"].name,
            "target": data["to_location"].name,
        }

    return _stock_form(
        request, form_class=TransferStockForm, action=action, title=_("Transfer stock"), submit=_("Transfer")
    )


# ------------------------------------------------------------------------------
# Stock count import
# ------------------------------------------------------------------------------
IMPORT_RESULT_KEY = "inventory:stock-import-result"


@login_required
@permission_required(CHANGE, raise_exception=True)
def stock_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a count: every row is checked first; all rows are applied in one transaction or none."""
    result = None
    if request.method == "POST":
        form = StockCountImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = form.apply(by=request.user)
            except InventoryError as exc:
                form.add_error(None, exc.message)
            else:
                result["filename"] = form.cleaned_data["file"].name
                request.session[IMPORT_RESULT_KEY] = result
                messages.success(
                    request,
                    _("Stock count imported: %(rows)s rows, %(changed)s levels changed.")
                    % {"rows": result["rows"], "changed": result["changed"]},
                )
                return redirect("inventory:stock-import")
    else:
        form = StockCountImportForm()
        result = request.session.pop(IMPORT_RESULT_KEY, None)
    context = {"form": form, "result": result, "locations": Location.objects.filter(is_active=True)}
    return render(request, "inventory/stock_import.html", context)
