"""The order list: filters in the URL, saved views as tabs, sortable columns, bulk actions.

Views stay thin: the selector filters and annotates, the services write. A bulk action
runs the service once per order, each in its own transaction, and reports every order
that was refused with the reason the service gave; a refused order is left as it was.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from pypdf import PdfWriter

from catalog.forms import parse_row_id
from catalog.templatetags.money import format_money
from orders.exceptions import OrderError
from orders.filters import SORT_KEYS, OrderFilter
from orders.models import Order, SavedOrderView
from orders.selectors import get_order_filter_choices, get_order_list_options, list_orders, orders_for_list
from orders.selectors.order_list import NarrowFirstPages
from orders.services import cancel_order
from orders.services.saved_views import clean_view_query, delete_order_view, save_order_view
from shipping.exceptions import ShippingError
from shipping.models import Shipment, ShipmentStatus
from shipping.services import mark_packed
from shipping.services.documents import render_packing_slip_pdf, render_pick_list_pdf

VIEW = "orders.view_order"
CHANGE = "orders.change_order"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
# A bulk action takes at most this many orders at once (a page of the largest size).
MAX_BULK_ORDERS = max(PAGE_SIZES)

OPEN = "status=placed&status=processing"
# The tabs every user has; not stored, so they can be improved for everyone.
BUILTIN_VIEWS = (
    (gettext_lazy("All"), ""),
    (gettext_lazy("Unpaid"), f"{OPEN}&payment_status=unpaid&payment_status=partially_paid"),
    (gettext_lazy("To ship"), f"{OPEN}&fulfilment_status=unfulfilled&fulfilment_status=partially_fulfilled"),
    (gettext_lazy("Needs review"), "needs_review=on"),
    (gettext_lazy("Backordered"), f"{OPEN}&backordered=on"),
)

# The filters behind the "More filters" menu, counted on its button.
MORE_FILTERS = frozenset(
    {
        "placed_from",
        "placed_to",
        "total_min",
        "total_max",
        "shipping_method",
        "pickup_location",
        "backordered",
        "needs_review",
    }
)

# (sort key or "", label, numeric)
COLUMNS = (
    ("number", gettext_lazy("Order"), False),
    ("placed", gettext_lazy("Placed"), False),
    ("customer", gettext_lazy("Customer"), False),
    ("channel", gettext_lazy("Channel"), False),
    ("status", gettext_lazy("Status"), False),
    ("payment", gettext_lazy("Payment"), False),
    ("fulfilment", gettext_lazy("Fulfilment"), False),
    ("", gettext_lazy("Items"), True),
    ("total", gettext_lazy("Total"), True),
)

# (action, label, permission): each action needs the permission of what it changes, so the
# warehouse packs and prints without being able to cancel an order.
BULK_ACTIONS = (
    ("export", gettext_lazy("Export CSV"), VIEW),
    ("packing_slips", gettext_lazy("Print packing slips"), "shipping.view_shipment"),
    ("pick_list", gettext_lazy("Print pick list"), "shipping.view_shipment"),
    ("mark_packed", gettext_lazy("Mark as packed"), "shipping.change_shipment"),
    ("cancel", gettext_lazy("Cancel orders…"), CHANGE),
)
# Shipments a packing slip is printed for: not yet handed to the carrier.
SLIP_STATUSES = (ShipmentStatus.PENDING, ShipmentStatus.PACKED)


def _allowed_actions(user) -> list[tuple[str, str]]:
    return [(action, label) for action, label, permission in BULK_ACTIONS if user.has_perm(permission)]


# ------------------------------------------------------------------------------ the list
@login_required
@permission_required(VIEW, raise_exception=True)
def order_list_view(request: HttpRequest) -> HttpResponse:
    options = get_order_list_options(user=request.user)
    filterset, orders = list_orders(filters=request.GET, choices=options.choices)
    page_size = _page_size(request)
    rows = NarrowFirstPages(orders, estimate_before=_last_row_asked(request, page_size))
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    chips = _chips(request, filterset)
    bulk_actions = _allowed_actions(request.user)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": filterset,
        "filter_menus": _filter_menus(filterset),
        "page": page,
        "orders": _rows(page.object_list),
        "columns": _sort_columns(request),
        "query": params.urlencode(),
        "current_query": clean_view_query(request.GET.urlencode()),
        "chips": chips,
        "more_count": sum(1 for chip in chips if chip["name"] in MORE_FILTERS),
        "tabs": _tabs(request, options.saved_views),
        "page_sizes": [
            {"size": size, "url": _with(request, per_page=str(size)), "current": size == page_size}
            for size in PAGE_SIZES
        ],
        "page_size": page_size,
        # The unfiltered list of a large shop counts by PostgreSQL's estimate: said, and rounded.
        "count_estimated": rows.estimated,
        "count_about": intcomma(_about(page.paginator.count)) if rows.estimated else "",
        "bulk_actions": bulk_actions,
        "can_change": bool(bulk_actions),
        "export_url": f"{reverse('orders:order-export')}?{params.urlencode()}",
        "not_placed": _("not placed"),
        "backordered_label": _("Backordered"),
    }
    return render(request, "orders/order_list.html", context)


def _rows(orders: Iterable[Order]) -> list[Order]:
    """The page's orders with what each row shows worked out once here, not per cell in the template.

    50 to 100 rows of template filters, includes and ``{% url %}`` cost more than the
    queries; a plain loop in Python keeps the page fast at any page size.
    """
    try:
        detail = reverse("orders:order-detail", args=["00000"])
    except NoReverseMatch:  # the detail page is not there yet: the admin's change page instead
        detail = ""
    admin = reverse("admin:orders_order_change", args=[0])
    today = timezone.localdate()
    walk_in = _("Walk-in customer")
    # Each status word translated once per page, not once per row (``get_FOO_display`` builds
    # and translates the whole choice list on every call).
    badges = {
        name: {value: (value.replace("_", "-"), str(label)) for value, label in Order._meta.get_field(name).choices}
        for name in ("status", "payment_status", "fulfilment_status")
    }
    rows = list(orders)
    for order in rows:
        order.detail_url = (
            detail.replace("00000", quote(order.number))
            if detail and order.number
            else admin.replace("/0/", f"/{order.pk}/")
        )
        order.badges = [
            badges[name].get(value, (value.replace("_", "-"), value))
            for name, value in (
                ("status", order.status),
                ("payment_status", order.payment_status),
                ("fulfilment_status", order.fulfilment_status),
            )
        ]
        order.lines_title = ngettext("%(count)d line", "%(count)d lines", order.line_count) % {
            "count": order.line_count
        }
        # Strings the row shows, formatted here: a {% blocktranslate %} or a filter per cell of
        # 100 rows costs more than the page's queries.
        order.select_label = _("Select order %(number)s") % {"number": order}
        order.customer_display = order.customer_name or (str(order.customer) if order.customer else "") or walk_in
        if order.pickup_location:
            order.delivery_note = _("Pickup · %(place)s") % {"place": order.pickup_location.name}
        else:
            order.delivery_note = order.shipping_method.name if order.shipping_method else ""
        order.items_display = intcomma(order.item_count)
        order.total_display = format_money(order.total_amount, order.currency)
        if order.placed_at:
            placed = timezone.localtime(order.placed_at)
            order.placed_iso = placed.isoformat()
            order.placed_full = date_format(placed, "DATETIME_FORMAT")
            if placed.date() == today:
                order.placed_short = _("today %(time)s") % {"time": placed.strftime("%H:%M")}
            elif placed.year == today.year:
                order.placed_short = date_format(placed, "j M")
            else:
                order.placed_short = date_format(placed, "j M Y")
    return rows


# The filters shown as menus of checkboxes, in this order.
MENU_FIELDS = ("status", "payment_status", "fulfilment_status", "channel")


def _filter_menus(filterset: OrderFilter) -> list[dict]:
    """Each checkbox menu with its options worked out here, for markup written in the template.

    ``{{ option.tag }}`` renders two or three widget templates per option (some 25 options):
    that cost more than the 50 rows of the table.
    """
    form = filterset.form
    menus = []
    for name in MENU_FIELDS:
        field = form[name]
        value = field.value() or []
        selected = {str(item) for item in value}
        prefix = field.field.widget.attrs.get("id") or field.auto_id
        menus.append(
            {
                "name": field.html_name,
                "label": field.label,
                "auto_id": field.auto_id,
                "selected": len(value),
                "options": [
                    {
                        "id": f"{prefix}_{index}",
                        "value": str(choice),
                        "label": label,
                        "checked": str(choice) in selected,
                    }
                    for index, (choice, label) in enumerate(field.field.choices)
                ],
            }
        )
    return menus


def _about(count: int) -> int:
    """An estimate rounded to two significant digits (99,301 -> 99,000): it says no more than it knows."""
    return round(count, -max(0, len(str(count)) - 2))


def _last_row_asked(request: HttpRequest, page_size: int) -> int | None:
    """For the unfiltered list (paging, page size and sort aside), the position of the page's last row.

    None for a filtered list: its count is exact, always.
    """
    if any(value for key, value in request.GET.items() if key not in ("page", "per_page", "o")):
        return None
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    return number * page_size


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _with(request: HttpRequest, **changes: str) -> str:
    """The current URL's query with some parameters replaced (or dropped when None), back to page one."""
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return f"?{params.urlencode()}"


def _sort_columns(request: HttpRequest) -> list[dict]:
    """Each header's link: sorts by its column, or reverses the order when it is the current one."""
    current = request.GET.get("o", "")
    columns = []
    for key, label, numeric in COLUMNS:
        direction = "asc" if key and current == key else "desc" if key and current == f"-{key}" else ""
        columns.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "sortable": key in SORT_KEYS,
                "url": _with(request, o=f"-{key}" if direction == "asc" else key) if key else "",
                "direction": direction,
            }
        )
    return columns


def _chips(request: HttpRequest, filterset: OrderFilter) -> list[dict]:
    """What is applied, one chip per value; each link drops exactly that value."""
    if not filterset.is_bound or not filterset.form.is_valid():
        return []
    chips = []
    data = filterset.form.cleaned_data
    for name in OrderFilter.CHIP_FIELDS:
        value = data.get(name)
        if value in (None, "", [], False):
            continue
        field = filterset.form.fields[name]
        if isinstance(value, list):
            labels = dict(field.choices)
            for item in value:
                params = request.GET.copy()
                params.setlist(name, [v for v in params.getlist(name) if v != item])
                params.pop("page", None)
                chips.append(
                    {
                        "name": name,
                        "label": field.label,
                        "value": labels.get(item, item),
                        "url": f"?{params.urlencode()}",
                    }
                )
            continue
        if value is True:
            shown = ""
        elif name in ("shipping_method", "pickup_location"):
            shown = dict(field.choices).get(value, value)
        elif hasattr(value, "strftime"):
            shown = date_format(value, "SHORT_DATE_FORMAT")
        else:
            shown = str(value)
        chips.append({"name": name, "label": field.label, "value": shown, "url": _with(request, **{name: None})})
    return chips


def _tabs(request: HttpRequest, saved: Iterable[SavedOrderView]) -> list[dict]:
    """The built-in views, then the user's own; the one matching the current filters is active."""
    current = _comparable(request.GET.urlencode())
    tabs = [
        {"name": name, "url": f"?{query}" if query else request.path, "active": _comparable(query) == current}
        for name, query in BUILTIN_VIEWS
    ]
    tabs += [
        {
            "name": view.name,
            "url": f"?{view.query_string}" if view.query_string else request.path,
            "active": _comparable(view.query_string) == current,
            "saved": view,
        }
        for view in saved
    ]
    return tabs


def _comparable(query: str) -> list[tuple[str, str]]:
    """A query as a sorted list of pairs, without paging and sort: two URLs of the same view compare equal."""
    return sorted((k, v) for k, v in parse_qsl(query) if k not in ("page", "per_page", "o") and v)


# ------------------------------------------------------------------------------ saved views
@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def order_view_save_view(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters as a tab of the user's own."""
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "")
    if not name:
        messages.error(request, _("Give the view a name to save it."))
        return redirect(_list_url(query))
    if "\x00" in name or "\x00" in query:  # nothing a person typed; PostgreSQL cannot store it
        messages.error(request, _("The view's name or filters hold a character that cannot be saved."))
        return redirect(_list_url(""))
    view = save_order_view(user=request.user, name=name, query_string=query)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_list_url(view.query_string))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def order_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the user's own tabs; another user's view is not found, not forbidden."""
    view = get_object_or_404(SavedOrderView, pk=pk, user=request.user)
    name = view.name
    delete_order_view(view=view)
    messages.success(request, _("View “%(name)s” removed.") % {"name": name})
    return redirect("orders:order-list")


def _list_url(query: str) -> str:
    url = reverse("orders:order-list")
    return f"{url}?{query}" if query else url


# ------------------------------------------------------------------------------ CSV
class _Echo:
    """A file-like object that hands back what is written: csv.writer feeds the stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


CSV_HEADER = (
    "number",
    "placed_at",
    "status",
    "payment_status",
    "fulfilment_status",
    "channel",
    "customer",
    "email",
    "phone",
    "external_reference",
    "lines",
    "items",
    "backordered",
    "shipping_method",
    "pickup_location",
    "currency",
    "subtotal",
    "discount",
    "shipping",
    "tax",
    "total",
)


def _csv_response(orders: QuerySet[Order], *, filename: str) -> StreamingHttpResponse:
    """Orders as CSV, streamed in chunks so that 100,000 orders never sit in memory."""
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        for order in orders.iterator(chunk_size=2000):
            placed = timezone.localtime(order.placed_at).isoformat(timespec="seconds") if order.placed_at else ""
            yield writer.writerow(
                [
                    order.number or "",
                    placed,
                    order.status,
                    order.payment_status,
                    order.fulfilment_status,
                    _cell(order.channel.name),
                    _cell(order.customer_name or (str(order.customer) if order.customer else "")),
                    _cell(order.email),
                    _cell(order.phone or (order.customer.phone if order.customer else "")),
                    _cell(order.external_reference),
                    order.line_count,
                    order.item_count,
                    "yes" if order.has_backorder else "no",
                    _cell(order.shipping_method.name) if order.shipping_method else "",
                    _cell(order.pickup_location.name) if order.pickup_location else "",
                    order.currency,
                    order.subtotal_amount,
                    order.discount_amount,
                    order.shipping_amount,
                    order.tax_amount,
                    order.total_amount,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def order_export_view(request: HttpRequest) -> StreamingHttpResponse:
    """The list as it is filtered and sorted, every page of it."""
    _filterset, orders = list_orders(filters=request.GET, choices=get_order_filter_choices())
    return _csv_response(orders, filename=f"orders-{timezone.localdate():%Y-%m-%d}.csv")


# ------------------------------------------------------------------------------ bulk actions
@login_required
@require_POST
def order_bulk_view(request: HttpRequest) -> HttpResponse:
    """One of the bulk actions on the ticked orders; cancelling asks for confirmation first.

    Each action checks its own permission. Writes run the service per order, each order
    in its own transaction, and every refusal is reported with the service's reason.
    """
    action = request.POST.get("action", "")
    permission = {name: perm for name, _label, perm in BULK_ACTIONS}.get(action)
    if permission is None:
        if not request.user.has_perm(VIEW):
            raise PermissionDenied
        return HttpResponseBadRequest(_("Unknown bulk action."))
    if not request.user.has_perm(permission):
        raise PermissionDenied
    back = _back_url(request)
    ticked = (parse_row_id(pk) for pk in request.POST.getlist("order"))
    ids = [pk for pk in ticked if pk is not None][:MAX_BULK_ORDERS]
    if not ids:
        messages.warning(request, _("Tick at least one order first."))
        return redirect(back)
    orders = orders_for_list().filter(pk__in=ids)
    if action == "export":
        return _csv_response(orders, filename=f"orders-selected-{timezone.localdate():%Y-%m-%d}.csv")
    if action == "pick_list":
        return _pdf(render_pick_list_pdf(orders=list(orders)), "pick-list.pdf")
    if action == "packing_slips":
        return _packing_slips(request, orders, back=back)
    if action == "mark_packed":
        _pack_each(request, orders)
        return redirect(back)
    if request.POST.get("confirm") != "yes":
        return render(request, "orders/order_list_confirm_cancel.html", {"orders": list(orders), "back": back})
    _cancel_each(request, orders, reason=request.POST.get("reason", "").strip())
    return redirect(back)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _packing_slips(request: HttpRequest, orders: QuerySet[Order], *, back: str) -> HttpResponse:
    """One PDF with the slip of every parcel of these orders that has not left yet, in order-number order."""
    shipments = list(
        Shipment.objects.filter(order__in=orders.values("pk"), status__in=SLIP_STATUSES).order_by("order_id", "pk")
    )
    with_slips = {shipment.order_id for shipment in shipments}
    missing = [str(order) for order in orders if order.pk not in with_slips]
    if missing:
        messages.warning(
            request,
            _("No parcel to pack yet for %(numbers)s: create the shipment first.") % {"numbers": ", ".join(missing)},
        )
    if not shipments:
        return redirect(back)
    writer = PdfWriter()
    for shipment in shipments:
        writer.append(io.BytesIO(render_packing_slip_pdf(shipment=shipment)))
    out = io.BytesIO()
    writer.write(out)
    return _pdf(out.getvalue(), f"packing-slips-{timezone.localdate():%Y-%m-%d}.pdf")


def _pack_each(request: HttpRequest, orders: QuerySet[Order]) -> None:
    """``mark_packed`` on each order's waiting parcels; all of an order's parcels or none of them."""
    packed: list[str] = []
    waiting = Prefetch(
        "shipments",
        queryset=Shipment.objects.filter(status=ShipmentStatus.PENDING).order_by("pk"),
        to_attr="waiting_shipments",
    )
    for order in orders.prefetch_related(waiting):
        try:
            with transaction.atomic():
                if not order.waiting_shipments:
                    raise ShippingError(
                        _("Order %(number)s has no shipment waiting to be packed; create its shipment first.")
                        % {"number": order}
                    )
                for shipment in order.waiting_shipments:
                    mark_packed(shipment=shipment, by=request.user)
        except ShippingError as exc:
            messages.error(request, exc.message)
        else:
            packed.append(str(order))
    if packed:
        messages.success(
            request,
            ngettext("Order %(numbers)s packed.", "%(count)d orders packed (%(numbers)s).", len(packed))
            % {"count": len(packed), "numbers": ", ".join(packed)},
        )


def _cancel_each(request: HttpRequest, orders: QuerySet[Order], *, reason: str) -> None:
    """``cancel_order`` per order (each its own transaction); refusals are reported one by one."""
    cancelled: list[str] = []
    for order in orders:
        try:
            cancel_order(order=order, by=request.user, reason=reason)
        except OrderError as exc:
            messages.error(request, exc.message)
        else:
            cancelled.append(str(order))
    if cancelled:
        messages.success(
            request,
            ngettext(
                "Order %(numbers)s cancelled; its reserved stock is released.",
                "%(count)d orders cancelled (%(numbers)s); their reserved stock is released.",
                len(cancelled),
            )
            % {"count": len(cancelled), "numbers": ", ".join(cancelled)},
        )


def _back_url(request: HttpRequest) -> str:
    """Back to the list as the user left it (only a path on this site)."""
    url = request.POST.get("next", "")
    # A path, not a bare word: ``redirect("ab")`` would look "ab" up as a URL name and fail.
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("orders:order-list")


__all__ = [
    "order_bulk_view",
    "order_export_view",
    "order_list_view",
    "order_view_delete_view",
    "order_view_save_view",
]
