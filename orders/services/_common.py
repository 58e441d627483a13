"""The status gate and timeline helpers every order service uses."""

from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import InvalidTransition
from orders.models import Order, OrderEvent, OrderStatus


def _event(order: Order, kind: str, *, by=None, message: str = "", old: str = "", new: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, by=by, message=message, old_value=old, new_value=new)


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(
    order: Order,
    *,
    to: str,
    by=None,
    note: str = "",
    also_save: tuple[str, ...] = (),
    also_log: tuple[OrderEvent, ...] = (),
) -> None:
    """The one gate for status changes: the state table decides.

    ``also_save`` names fields the caller changed to be written in the same UPDATE, and
    ``also_log`` timeline rows to be inserted with the status row: placing an order keeps
    its statements (and so the time its stock rows stay locked) to a minimum.
    """
    if not order.can_become(to):
        raise InvalidTransition(
            _("Order %(number)s is %(status)s and cannot become %(target)s.")
            % {"number": order, "status": order.get_status_display(), "target": OrderStatus(to).label}
        )
    status_event = OrderEvent(
        order=order, kind=OrderEvent.Kind.STATUS, by=by, message=note, old_value=order.status, new_value=to
    )
    OrderEvent.objects.bulk_create([status_event, *also_log])
    order.status = to
    stamp = {OrderStatus.COMPLETED: "completed_at", OrderStatus.CANCELLED: "cancelled_at"}.get(to)
    if stamp:
        setattr(order, stamp, timezone.now())
    order.save(update_fields=["status", "updated_at", "completed_at", "cancelled_at", *also_save])
