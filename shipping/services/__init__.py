"""Every change in shipping: quotes, shipments and their tracking, e-mails, documents.

Split by concern; import from ``shipping.services``.
"""

from shipping.services.carriers import is_valid_s10, s10_check_digit, validate_tracking_number
from shipping.services.emails import SHIPMENT_EMAILS, send_shipment_email
from shipping.services.fulfilment import (
    create_shipment,
    hand_over_at_counter,
    mark_packed,
    mark_picked_up,
    mark_ready_for_pickup,
    mark_shipped,
    quantities_to_ship,
    record_tracking_event,
)
from shipping.services.quotes import ShippingOption, list_pickup_locations, list_shipping_options, quote_shipping
from shipping.services.returns import (
    create_return,
    receive_return,
    returnable_quantities,
    suggested_refund_amount,
)

__all__ = [
    "SHIPMENT_EMAILS",
    "ShippingOption",
    "create_return",
    "create_shipment",
    "hand_over_at_counter",
    "is_valid_s10",
    "list_pickup_locations",
    "list_shipping_options",
    "mark_packed",
    "mark_picked_up",
    "mark_ready_for_pickup",
    "mark_shipped",
    "quantities_to_ship",
    "quote_shipping",
    "receive_return",
    "record_tracking_event",
    "returnable_quantities",
    "s10_check_digit",
    "send_shipment_email",
    "suggested_refund_amount",
    "validate_tracking_number",
]
