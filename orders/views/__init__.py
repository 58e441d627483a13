"""Back-office order pages, one module per page family."""

from orders.views.dashboard import dashboard_view
from orders.views.order_list import (
    order_bulk_view,
    order_export_view,
    order_list_view,
    order_view_delete_view,
    order_view_save_view,
)

__all__ = [
    "dashboard_view",
    "order_bulk_view",
    "order_export_view",
    "order_list_view",
    "order_view_delete_view",
    "order_view_save_view",
]
