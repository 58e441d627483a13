"""Back-office order pages, one module per page family."""

from orders.views.carts import cart_report_view
from orders.views.dashboard import dashboard_feed_view, dashboard_view
from orders.views.order_detail import order_cancel_view, order_detail_view, order_note_view, order_transition_view
from orders.views.order_edit import order_edit_view
from orders.views.order_entry import (
    entry_customer_search_view,
    entry_product_search_view,
    entry_totals_view,
    order_new_view,
)
from orders.views.order_list import (
    order_bulk_view,
    order_export_view,
    order_list_view,
    order_view_delete_view,
    order_view_save_view,
)

__all__ = [
    "cart_report_view",
    "dashboard_feed_view",
    "dashboard_view",
    "entry_customer_search_view",
    "entry_product_search_view",
    "entry_totals_view",
    "order_bulk_view",
    "order_cancel_view",
    "order_detail_view",
    "order_edit_view",
    "order_export_view",
    "order_list_view",
    "order_new_view",
    "order_note_view",
    "order_transition_view",
    "order_view_delete_view",
    "order_view_save_view",
]
