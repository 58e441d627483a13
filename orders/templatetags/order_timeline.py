"""The order timeline's "from → to" values as the labels people read, not the stored codes."""

from django import template

from orders.models import FulfilmentStatus, OrderEventKind, OrderStatus, PaymentStatus
from shipping.models import ShipmentStatus

register = template.Library()

# Which choices an event's old and new values come from, by the event's kind. A shipment event
# carries the order's fulfilment status or a parcel's status (their one shared code,
# "delivered", reads the same). Other kinds (an e-mail's marker, an invoice number) stay as stored.
_LABELS: dict[str, dict[str, str]] = {
    OrderEventKind.STATUS: dict(OrderStatus.choices),
    OrderEventKind.PLACED: dict(OrderStatus.choices),
    OrderEventKind.PAYMENT_RECORDED: dict(PaymentStatus.choices),
    OrderEventKind.REFUNDED: dict(PaymentStatus.choices),
    OrderEventKind.SHIPMENT: {**dict(ShipmentStatus.choices), **dict(FulfilmentStatus.choices)},
}


@register.filter
def event_value(value: str, kind: str) -> str:
    """``{{ event.new_value|event_value:event.kind }}``: ``picked_up`` → "Picked up" (translated)."""
    return _LABELS.get(kind, {}).get(value, value)
