"""Every change to an order: placing it, moving its status, keeping its derived axes.

Each function is one transaction; it locks the order row, refuses a change the state table
does not allow with a message a person can read, writes the timeline, and enqueues side
effects (e-mails) only after commit. Split by concern; import from ``orders.services``.
"""

from orders.services.backorders import receive_stock_and_fill_backorders
from orders.services.customers import InvalidCustomer, create_customer
from orders.services.drafts import OrderEntry, place_entry_order, preview_order, save_draft_order
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
    "approve_order_review",
    "cancel_order",
    "complete_order",
    "compute_totals",
    "create_customer",
    "derive_fulfilment_status",
    "derive_payment_status",
    "edit_order_lines",
    "list_risk_reasons",
    "place_draft_order",
    "place_entry_order",
    "place_order",
    "preview_order",
    "receive_stock_and_fill_backorders",
    "review_order_risk",
    "save_draft_order",
    "send_order_email",
    "start_processing",
    "sync_fulfilment_status",
    "sync_payment_status",
]
