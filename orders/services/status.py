"""Status changes after placing, and the derived payment and fulfilment axes."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log
from catalog.money import ZERO
from catalog.services import release_discount_code
from inventory.services import release_reservations
from orders.exceptions import InvalidTransition, OrderError
from orders.models import FulfilmentStatus, Order, OrderEvent, OrderStatus, PaymentStatus
from orders.services._common import _event, _lock, _move
from orders.services.webhooks import emit_order_webhook
from orders.tasks import send_order_email as send_order_email_task


@transaction.atomic
def cancel_order(*, order: Order, by=None, reason: str = "") -> Order:
    """Cancel an order that has not left the building; its reserved stock is released."""
    order = _lock(order)
    if order.fulfilment_status != FulfilmentStatus.UNFULFILLED:
        raise InvalidTransition(
            _("Order %(number)s has already been shipped in part or in full; record a return instead.")
            % {"number": order}
        )
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID):
        raise InvalidTransition(_("Order %(number)s has payments; refund them before cancelling.") % {"number": order})
    _move(order, to=OrderStatus.CANCELLED, by=by, note=reason)
    emit_order_webhook(order=order, event="order.cancelled")
    released = release_reservations(order_line_ids=list(order.lines.values_list("pk", flat=True)))
    if order.discount_code:  # the code's use is given back (its redemption is kept, marked released)
        release_discount_code(order_id=order.pk)
    if released:
        _event(
            order, OrderEvent.Kind.STOCK, by=by, message=_("%(count)s reserved units released.") % {"count": released}
        )
    if order.email and order.number:
        on_commit_or_log(send_order_email_task.delay, order_id=order.pk, kind="cancelled")  # else the beat sends it
    return order


@transaction.atomic
def start_processing(*, order: Order, by=None, note: str = "") -> Order:
    """Payment is settled (or the customer buys on terms): the order is now being fulfilled."""
    order = _lock(order)
    _move(order, to=OrderStatus.PROCESSING, by=by, note=note)
    return order


@transaction.atomic
def complete_order(*, order: Order, by=None, note: str = "") -> Order:
    """Close an order that is paid and has reached the customer."""
    order = _lock(order)
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        raise InvalidTransition(_("Order %(number)s is not paid yet.") % {"number": order})
    if order.fulfilment_status not in (FulfilmentStatus.FULFILLED, FulfilmentStatus.DELIVERED):
        raise InvalidTransition(_("Order %(number)s has not been fulfilled yet.") % {"number": order})
    _move(order, to=OrderStatus.COMPLETED, by=by, note=note)
    return order


@transaction.atomic
def add_order_note(*, order: Order, by, message: str) -> OrderEvent:
    message = message.strip()
    if not message:
        raise OrderError(_("Write something in the note."))
    return _event(order, OrderEvent.Kind.NOTE, by=by, message=message)


def derive_payment_status(*, total: Decimal, paid: Decimal, refunded: Decimal) -> str:
    """The payment axis follows from the money alone."""
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    if paid <= 0:
        return PaymentStatus.UNPAID
    return PaymentStatus.PAID if paid >= total else PaymentStatus.PARTIALLY_PAID


@transaction.atomic
def sync_payment_status(*, order: Order, by=None) -> Order:
    """Recompute the payment status from the order's verified payments and refunds.

    Called by billing after it records money. A placed order that becomes paid moves on to
    processing.
    """
    order = _lock(order)
    sums = {
        row["kind"]: row["total"] or ZERO
        for row in order.payments.filter(status="verified").values("kind").annotate(total=Sum("amount"))
    }
    new = derive_payment_status(
        total=order.total_amount, paid=sums.get("payment", ZERO), refunded=sums.get("refund", ZERO)
    )
    became_paid = new != order.payment_status
    if new != order.payment_status:
        _event(order, OrderEvent.Kind.PAYMENT_RECORDED, by=by, old=order.payment_status, new=new)
        order.payment_status = new
        order.save(update_fields=["payment_status", "updated_at"])
    if new == PaymentStatus.PAID and order.status == OrderStatus.PLACED:
        _move(order, to=OrderStatus.PROCESSING, by=by, note=_("Paid in full."))
    if new == PaymentStatus.PAID and became_paid:
        emit_order_webhook(order=order, event="order.paid")
    return order


def derive_fulfilment_status(*, ordered: int, shipped: int, delivered: int) -> str:
    if ordered and delivered >= ordered:
        return FulfilmentStatus.DELIVERED
    if ordered and shipped >= ordered:
        return FulfilmentStatus.FULFILLED
    if shipped > 0:
        return FulfilmentStatus.PARTIALLY_FULFILLED
    return FulfilmentStatus.UNFULFILLED


SHIPPED_STATUSES = ("shipped", "in_transit", "out_for_delivery", "delivered", "picked_up", "exception")
DELIVERED_STATUSES = ("delivered", "picked_up")


@transaction.atomic
def sync_fulfilment_status(*, order: Order, by=None) -> Order:
    """Recompute the fulfilment status from the order's shipments (called by shipping)."""
    order = _lock(order)
    ordered = order.lines.aggregate(n=Sum("quantity"))["n"] or 0
    shipped = (
        order.lines.filter(shipment_lines__shipment__status__in=SHIPPED_STATUSES).aggregate(
            n=Sum("shipment_lines__quantity")
        )["n"]
        or 0
    )
    delivered = (
        order.lines.filter(shipment_lines__shipment__status__in=DELIVERED_STATUSES).aggregate(
            n=Sum("shipment_lines__quantity")
        )["n"]
        or 0
    )
    new = derive_fulfilment_status(ordered=ordered, shipped=shipped, delivered=delivered)
    if new != order.fulfilment_status:
        _event(order, OrderEvent.Kind.SHIPMENT, by=by, old=order.fulfilment_status, new=new)
        order.fulfilment_status = new
        order.save(update_fields=["fulfilment_status", "updated_at"])
    return order
