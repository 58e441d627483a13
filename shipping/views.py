"""Shipping pages: the public tracking page and the back-office shipment pages.

Views stay thin: they check the permission, bind a form, call one selector or service and
render or redirect. A service's refusal goes back next to the form with its message, and
nothing has changed.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from inventory.models import Location
from orders.models import Order
from shipping.exceptions import ShippingError
from shipping.forms import (
    CreateReturnForm,
    CreateShipmentForm,
    PickedUpForm,
    ReceiveReturnForm,
    ShipForm,
    TrackingEventForm,
    TrackingImportForm,
)
from shipping.models import CarrierAccount, Return, ReturnStatus, Shipment, ShipmentStatus, TrackingEventSource
from shipping.selectors import (
    get_lines_to_ship,
    get_order_for_shipping,
    get_order_for_tracking,
    get_shipment_for_detail,
    get_tracking_steps,
    list_orders_to_pick,
    list_shipments,
)
from shipping.services import (
    create_return,
    create_shipment,
    mark_packed,
    mark_picked_up,
    mark_ready_for_pickup,
    mark_shipped,
    receive_return,
    record_tracking_event,
    returnable_quantities,
    suggested_refund_amount,
)
from shipping.services.documents import render_packing_slip_pdf, render_pick_list_pdf
from shipping.services.tracking_updates import (
    SIGNATURE_HEADER,
    InvalidSignature,
    import_tracking_events,
    receive_carrier_webhook,
)
from shipping.throttle import is_rate_limited

VIEW = "shipping.view_shipment"
ADD = "shipping.add_shipment"
CHANGE = "shipping.change_shipment"
PAGE_SIZE = 50
FILTER_NAMES = ("q", "status", "carrier", "location", "created_from", "created_to")


@never_cache
def track_view(request: HttpRequest, code: str) -> HttpResponse:
    """The customer's public view of their order: progress and parcels, nothing personal."""
    if is_rate_limited(request, scope="track", limit=settings.TRACKING_RATE_LIMIT, window_seconds=60):
        response = render(request, "shipping/track_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    order = get_order_for_tracking(code=code)
    if order is None:
        raise Http404(_("No order with this tracking code."))
    context = {"order": order, "steps": get_tracking_steps(order=order), "shipments": list(order.shipments.all())}
    response = render(request, "shipping/track.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- list ---------------------------------------------------------------------------------------


def _without(request: HttpRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    params.pop("page", None)
    return f"?{params.urlencode()}"


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_list_view(request: HttpRequest) -> HttpResponse:
    filterset = list_shipments(filters=request.GET)
    shipments = filterset.qs if (not filterset.is_bound or filterset.is_valid()) else Shipment.objects.none()
    page = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    applied = []
    if filterset.is_bound and filterset.form.is_valid():
        for name in FILTER_NAMES:
            value = filterset.form.cleaned_data.get(name)
            if value:
                field = filterset.form.fields[name]
                shown = dict(field.choices).get(value, value) if name == "status" else value
                applied.append({"label": field.label, "value": str(shown), "url": _without(request, name)})
    context = {"filter": filterset, "page": page, "query": params.urlencode(), "applied": applied}
    return render(request, "shipping/shipment_list.html", context)


# --- create ------------------------------------------------------------------------------------


def _default_location(order: Order, rows) -> Location | None:
    """Where the order's units are reserved (most units first), else its pickup location."""
    totals: dict[int, int] = {}
    for row in rows:
        for location_id, quantity in row.reserved_by_location.items():
            totals[location_id] = totals.get(location_id, 0) + quantity
    if totals:
        return Location.objects.filter(pk=max(totals, key=totals.get)).first()
    return order.pickup_location


@login_required
@permission_required(ADD, raise_exception=True)
def shipment_create_view(request: HttpRequest, number: str) -> HttpResponse:
    order = get_order_for_shipping(number=number)
    if order is None:
        raise Http404(_("No order with this number."))
    rows = get_lines_to_ship(order=order)
    form = CreateShipmentForm(
        request.POST or None, rows=rows, default_location=_default_location(order, rows) if not request.POST else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            shipment = create_shipment(
                order=order, location=form.cleaned_data["location"], lines=form.lines(), by=request.user
            )
        except ShippingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Shipment %(id)s created for order %(number)s.") % {"id": shipment.pk, "number": order.number},
            )
            return redirect("shipping:shipment-detail", pk=shipment.pk)
    context = {"order": order, "form": form, "nothing_left": all(row.left == 0 for row in rows)}
    return render(request, "shipping/shipment_form.html", context)


# --- detail and actions ------------------------------------------------------------------------


def _get_shipment(pk: int) -> Shipment:
    shipment = get_shipment_for_detail(pk=pk)
    if shipment is None:
        raise Http404(_("No such shipment."))
    return shipment


def _render_detail(request: HttpRequest, shipment: Shipment, **forms) -> HttpResponse:
    allowed = shipment.allowed_transitions
    context = {
        "shipment": shipment,
        "order": shipment.order,
        "lines": list(shipment.lines.all()),
        "events": list(shipment.events.all()),
        "can_pack": ShipmentStatus.PACKED in allowed,
        "can_ship": ShipmentStatus.SHIPPED in allowed,
        "can_ready": ShipmentStatus.READY_FOR_PICKUP in allowed and shipment.location.is_pickup_point,
        "can_pick_up": ShipmentStatus.PICKED_UP in allowed and shipment.status == ShipmentStatus.READY_FOR_PICKUP,
        "can_track": shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.PACKED) and bool(allowed),
        "ship_form": forms.get("ship_form") or ShipForm(initial={"carrier": shipment.carrier}),
        "event_form": forms.get("event_form") or TrackingEventForm(shipment=shipment),
        "picked_up_form": forms.get("picked_up_form") or PickedUpForm(),
    }
    return render(request, "shipping/shipment_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_shipment(pk))


def _done(request: HttpRequest, shipment: Shipment) -> HttpResponse:
    messages.success(
        request, _("Shipment %(id)s is now %(status)s.") % {"id": shipment.pk, "status": shipment.get_status_display()}
    )
    return redirect("shipping:shipment-detail", pk=shipment.pk)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def shipment_pack_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    try:
        shipment = mark_packed(shipment=shipment, by=request.user)
    except ShippingError as exc:
        messages.error(request, exc.message)
        return redirect("shipping:shipment-detail", pk=pk)
    return _done(request, shipment)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def shipment_ship_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            shipment = mark_shipped(
                shipment=shipment,
                by=request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except ShippingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _done(request, shipment)
    return _render_detail(request, _get_shipment(pk), ship_form=form)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def shipment_event_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    form = TrackingEventForm(request.POST, shipment=shipment)
    if form.is_valid():
        try:
            event = record_tracking_event(
                shipment=shipment,
                status=form.cleaned_data["status"],
                occurred_at=form.cleaned_data["occurred_at"],
                source=TrackingEventSource.MANUAL,
                place=form.cleaned_data["place"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ShippingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if event is None:
                messages.warning(request, _("That event changes nothing: the shipment is past it."))
            else:
                messages.success(request, _("Tracking event added."))
            return redirect("shipping:shipment-detail", pk=pk)
    return _render_detail(request, _get_shipment(pk), event_form=form)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def shipment_ready_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    try:
        shipment = mark_ready_for_pickup(shipment=shipment, by=request.user)
    except ShippingError as exc:
        messages.error(request, exc.message)
        return redirect("shipping:shipment-detail", pk=pk)
    return _done(request, shipment)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def shipment_picked_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    form = PickedUpForm(request.POST)
    if form.is_valid():
        try:
            shipment = mark_picked_up(
                shipment=shipment, collected_by=form.cleaned_data["collected_by"], by=request.user
            )
        except ShippingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _done(request, shipment)
    return _render_detail(request, _get_shipment(pk), picked_up_form=form)


# --- documents ---------------------------------------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def packing_slip_view(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment(pk)
    return _pdf(render_packing_slip_pdf(shipment=shipment), f"packing-slip-{shipment.order.number}-{shipment.pk}.pdf")


@login_required
@permission_required(VIEW, raise_exception=True)
def pick_list_view(request: HttpRequest) -> HttpResponse:
    """Choose orders (checkboxes, or numbers from the order list's ``?orders=``) and get their pick list."""
    numbers: list[str] = []
    for chunk in request.GET.getlist("orders"):
        numbers.extend(part for part in chunk.replace(",", " ").split() if part)
    numbers = list(dict.fromkeys(numbers))[:500]
    if numbers:
        # No order number holds a NUL byte, and PostgreSQL cannot compare text with one.
        orders = list(Order.objects.filter(number__in=[n for n in numbers if "\x00" not in n]))
        if orders:
            return _pdf(render_pick_list_pdf(orders=orders), "pick-list.pdf")
        messages.error(request, _("None of these order numbers exist."))
    return render(request, "shipping/pick_list.html", {"orders": list_orders_to_pick()})


# --- tracking updates from outside ---------------------------------------------------------------


@csrf_exempt
@require_POST
def carrier_webhook_view(request: HttpRequest, code: str) -> JsonResponse:
    """A carrier's tracking events, signed with HMAC-SHA256 over the raw body.

    No login: the signature is the credential. A bad or missing signature gets 401 and
    changes nothing; a replayed body is answered the same but records nothing new.
    """
    carrier = CarrierAccount.objects.filter(code=code).first()
    if carrier is None:
        return JsonResponse({"error": "unknown carrier"}, status=404)
    try:
        result = receive_carrier_webhook(
            carrier=carrier, body=request.body, signature=request.headers.get(SIGNATURE_HEADER, "")
        )
    except InvalidSignature:
        return JsonResponse({"error": "bad signature"}, status=401)
    except ShippingError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse(result.as_dict())


@login_required
@permission_required(CHANGE, raise_exception=True)
def tracking_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of tracking events; a bad row refuses the file and names the line."""
    form = TrackingImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = import_tracking_events(text=form.text(), by=request.user)
        except ShippingError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("%(recorded)s events recorded, %(ignored)s changed nothing, %(unknown)s unknown tracking numbers.")
                % {"recorded": result.recorded, "ignored": result.ignored, "unknown": len(result.unknown)},
            )
    return render(request, "shipping/tracking_import.html", {"form": form, "result": result})


# --- returns -----------------------------------------------------------------------------------------


@login_required
@permission_required(CHANGE, raise_exception=True)
def return_create_view(request: HttpRequest, number: str) -> HttpResponse:
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404(_("No order with this number."))
    left = returnable_quantities(order=order)
    rows = [(line, left[line.pk]) for line in order.lines.all() if left.get(line.pk, 0) > 0]
    form = CreateReturnForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            return_request = create_return(
                order=order,
                lines=form.lines(),
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ShippingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Return %(id)s recorded.") % {"id": return_request.pk})
            return redirect("shipping:return-detail", pk=return_request.pk)
    return render(request, "shipping/return_form.html", {"order": order, "form": form, "rows": rows})


def _render_return(request: HttpRequest, return_request: Return, form=None) -> HttpResponse:
    context = {
        "return_request": return_request,
        "order": return_request.order,
        "lines": list(return_request.lines.select_related("order_line").order_by("order_line_id")),
        "form": form or ReceiveReturnForm(),
        "can_receive": return_request.status == ReturnStatus.REQUESTED,
        "refund_amount": suggested_refund_amount(return_request=return_request),
        # what the refund form is opened with: the return's value and why it came back
        "refund_reason": _("Return %(id)s: %(reason)s")
        % {"id": return_request.pk, "reason": return_request.get_reason_display()},
    }
    return render(request, "shipping/return_detail.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def return_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return_request = Return.objects.select_related("order", "created_by").filter(pk=pk).first()
    if return_request is None:
        raise Http404(_("No such return."))
    if request.method == "POST":
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        form = ReceiveReturnForm(request.POST)
        if form.is_valid():
            try:
                receive_return(
                    return_request=return_request,
                    location=form.cleaned_data["location"],
                    damaged_location=form.cleaned_data["damaged_location"],
                    by=request.user,
                )
            except ShippingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Return %(id)s received; the items are back in stock.") % {"id": pk})
                return redirect("shipping:return-detail", pk=pk)
        return _render_return(request, return_request, form)
    return _render_return(request, return_request)
