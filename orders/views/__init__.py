"""Back-office order pages, one module per page family."""

from orders.views.dashboard import dashboard_view

__all__ = ["dashboard_view"]
