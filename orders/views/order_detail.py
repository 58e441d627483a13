"""The order detail page and the actions it offers: note, cancel, start processing, complete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.exceptions import OrderError
from orders.forms import CancelOrderForm, NoteForm
from orders.models import FulfilmentStatus, Order, OrderStatus, PaymentStatus
from orders.selectors import get_order_for_detail
from orders.services import add_order_note, approve_order_review, cancel_order, complete_order, start_processing
from orders.services.api_tokens import placed_through_api

BILLING_PANEL = "billing/partials/_order_panel.html"
SHIPPING_PANEL = "shipping/partials/_order_panel.html"
OPEN = (OrderStatus.PLACED, OrderStatus.PROCESSING)


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _reverse_or_empty(*names: str, number: str) -> str:
    """The billing and shipping pages arrive on their own schedule: link the first that exists."""
    for name in names:
        try:
            return reverse(name, kwargs={"number": number})
        except NoReverseMatch:
            continue
    return ""


def can_cancel(order: Order) -> bool:
    return (
        order.can_become(OrderStatus.CANCELLED)
        and order.fulfilment_status == FulfilmentStatus.UNFULFILLED
        and order.payment_status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID)
    )


def allowed_actions(order: Order, user, *, invoices: list | None = None) -> dict:
    """What this user may do to this order now; what the state forbids is not offered at all."""
    may_change = user.has_perm("orders.change_order")
    actions = {
        "edit": may_change and order.status in OPEN,
        "cancel": may_change and can_cancel(order),
        "start_processing": may_change and order.status == OrderStatus.PLACED,
        "approve_review": may_change and order.needs_review and order.status in OPEN,
        "complete": may_change
        and order.can_become(OrderStatus.COMPLETED)
        and order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
        and order.fulfilment_status in (FulfilmentStatus.FULFILLED, FulfilmentStatus.DELIVERED),
        "take_payment_url": "",
        "create_shipment_url": "",
    }
    if (
        order.status in OPEN
        and order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID)
        and user.has_perm("billing.add_payment")
    ):
        actions["take_payment_url"] = _reverse_or_empty(
            "billing:payment-new", "billing:payment-create", number=order.number
        )
    if (
        order.status in OPEN
        and order.fulfilment_status in (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIALLY_FULFILLED)
        and user.has_perm("shipping.add_shipment")
    ):
        actions["create_shipment_url"] = _reverse_or_empty("shipping:shipment-create", number=order.number)
    # A counter sale ends with a receipt to print: billing renders it from the invoice.
    invoice = next((i for i in reversed(invoices or []) if i.kind == "invoice"), None)
    actions["receipt_url"] = ""
    if invoice is not None and user.has_perm("billing.view_invoice"):
        actions["receipt_url"] = _reverse_or_empty("billing:invoice-receipt", number=invoice.number)
    actions["any"] = any(v for k, v in actions.items() if k != "any")
    return actions


def _detail_or_404(number: str):
    try:
        return get_order_for_detail(number=number)
    except Order.DoesNotExist:
        raise Http404(_("No order with this number.")) from None


@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_detail_view(request: HttpRequest, number: str, *, note_form: NoteForm | None = None) -> HttpResponse:
    detail = _detail_or_404(number)
    order = detail.order
    return render(
        request,
        "orders/order_detail.html",
        {
            "detail": detail,
            "order": order,
            "actions": allowed_actions(order, request.user, invoices=detail.invoices),
            "note_form": note_form or NoteForm(),
            "can_add_note": request.user.has_perm("orders.add_orderevent"),
            "billing_panel": BILLING_PANEL if _template_exists(BILLING_PANEL) else "",
            "shipping_panel": SHIPPING_PANEL if _template_exists(SHIPPING_PANEL) else "",
            "track_url": reverse("shipping:track", kwargs={"code": order.tracking_code}),
            "via_api": placed_through_api(detail.events),
        },
        status=400 if note_form is not None else 200,
    )


@login_required
@permission_required("orders.add_orderevent", raise_exception=True)
@require_POST
def order_note_view(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            add_order_note(order=order, by=request.user, message=form.cleaned_data["message"])
        except OrderError as exc:
            form.add_error("message", exc.message)
        else:
            messages.success(request, _("Note added to order %(number)s.") % {"number": order.number})
            return redirect(reverse("orders:order-detail", kwargs={"number": order.number}) + "#timeline")
    return order_detail_view(request, number, note_form=form)


@login_required
@permission_required("orders.change_order", raise_exception=True)
def order_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    """A confirmation page with a reason; the POST cancels through ``cancel_order``."""
    order = get_object_or_404(Order.objects.select_related("channel", "customer"), number=number)
    if not can_cancel(order):
        messages.error(
            request,
            _("Order %(number)s cannot be cancelled now (%(status)s, %(payment)s, %(fulfilment)s).")
            % {
                "number": order.number,
                "status": order.get_status_display(),
                "payment": order.get_payment_status_display(),
                "fulfilment": order.get_fulfilment_status_display(),
            },
        )
        return redirect("orders:order-detail", number=order.number)
    form = CancelOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = cancel_order(order=order, by=request.user, reason=form.cleaned_data["reason"])
        except OrderError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Order %(number)s cancelled — stock released.") % {"number": order.number})
            return redirect("orders:order-detail", number=order.number)
    return render(request, "orders/order_cancel_confirm.html", {"order": order, "form": form})


@login_required
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def order_transition_view(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Start processing, complete, approve a held order: one button each, each through its service."""
    services = {
        "start-processing": start_processing,
        "complete": complete_order,
        "approve-review": approve_order_review,
    }
    if action not in services:
        raise Http404
    order = get_object_or_404(Order, number=number)
    try:
        order = services[action](order=order, by=request.user)
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        text = (
            _("Order %(number)s approved: it may be shipped now.")
            if action == "approve-review"
            else _("Order %(number)s is now %(status)s.")
        )
        messages.success(request, text % {"number": order.number, "status": order.get_status_display()})
    return redirect("orders:order-detail", number=order.number)
