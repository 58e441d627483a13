"""Every change to an order: placing it, moving its status, keeping its derived axes.

Each function is one transaction; it locks the order row, refuses a change the state table
does not allow with a message a person can read, writes the timeline, and enqueues side
effects (e-mails) only after commit. Split by concern; import from ``orders.services``.
"""

from orders.services.backorders import receive_stock_and_fill_backorders
from orders.services.carts import (
    CART_SESSION_KEY,
    CART_STEPS,
    add_to_cart,
    cart_link,
    cart_value,
    get_or_create_cart,
    give_cart_email,
    place_order_from_cart,
    record_cart_step,
    remove_from_cart,
    restore_cart,
    send_cart_alert,
    send_cart_reminder,
    set_cart_quantity,
    unsubscribe_cart,
)
from orders.services.customers import InvalidCustomer, create_customer
from orders.services.drafts import (
    OrderEntry,
    check_payment_choice,
    place_entry_order,
    preview_order,
    save_draft_order,
)
from orders.services.editing import EditResult, OrderChanges, edit_order_lines
from orders.services.emails import ORDER_EMAILS, send_order_email
from orders.services.placement import (
    MAX_LINE_QUANTITY,
    LineInput,
    compute_totals,
    place_draft_order,
    place_order,
)
from orders.services.review import approve_order_review, list_risk_reasons, review_order_risk
from orders.services.status import (
    DELIVERED_STATUSES,
    SHIPPED_STATUSES,
    add_order_note,
    cancel_order,
    complete_order,
    derive_fulfilment_status,
    derive_payment_status,
    start_processing,
    sync_fulfilment_status,
    sync_payment_status,
)

__all__ = [
    "CART_SESSION_KEY",
    "CART_STEPS",
    "DELIVERED_STATUSES",
    "MAX_LINE_QUANTITY",
    "ORDER_EMAILS",
    "SHIPPED_STATUSES",
    "EditResult",
    "InvalidCustomer",
    "LineInput",
    "OrderChanges",
    "OrderEntry",
    "add_order_note",
    "add_to_cart",
    "approve_order_review",
    "cancel_order",
    "cart_link",
    "cart_value",
    "check_payment_choice",
    "complete_order",
    "compute_totals",
    "create_customer",
    "derive_fulfilment_status",
    "derive_payment_status",
    "edit_order_lines",
    "get_or_create_cart",
    "give_cart_email",
    "list_risk_reasons",
    "place_draft_order",
    "place_entry_order",
    "place_order",
    "place_order_from_cart",
    "preview_order",
    "receive_stock_and_fill_backorders",
    "record_cart_step",
    "remove_from_cart",
    "restore_cart",
    "review_order_risk",
    "save_draft_order",
    "send_cart_alert",
    "send_cart_reminder",
    "send_order_email",
    "set_cart_quantity",
    "start_processing",
    "sync_fulfilment_status",
    "sync_payment_status",
    "unsubscribe_cart",
]
