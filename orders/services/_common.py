"""The status gate and timeline helpers every order service uses."""

from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import InvalidTransition
from orders.models import Order, OrderEvent, OrderStatus


def _event(order: Order, kind: str, *, by=None, message: str = "", old: str = "", new: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, by=by, message=message, old_value=old, new_value=new)


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(order: Order, *, to: str, by=None, note: str = "") -> None:
    """The one gate for status changes: the state table decides."""
    if not order.can_become(to):
        raise InvalidTransition(
            _("Order %(number)s is %(status)s and cannot become %(target)s.")
            % {"number": order, "status": order.get_status_display(), "target": OrderStatus(to).label}
        )
    _event(order, OrderEvent.Kind.STATUS, by=by, message=note, old=order.status, new=to)
    order.status = to
    stamp = {OrderStatus.COMPLETED: "completed_at", OrderStatus.CANCELLED: "cancelled_at"}.get(to)
    if stamp:
        setattr(order, stamp, timezone.now())
    order.save(update_fields=["status", "updated_at", "completed_at", "cancelled_at"])
