"""Reads for order pages and reports, one module per page family; import from here."""

from orders.selectors.dashboard import (
    LATEST_ORDERS_SHOWN,
    ChannelSales,
    DashboardFigures,
    SalesFigures,
    get_dashboard_figures,
    list_latest_orders,
)

__all__ = [
    "LATEST_ORDERS_SHOWN",
    "ChannelSales",
    "DashboardFigures",
    "SalesFigures",
    "get_dashboard_figures",
    "list_latest_orders",
]
