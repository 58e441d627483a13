"""Reads for order pages and reports, one module per page family; import from here."""

from orders.selectors.dashboard import (
    LATEST_ORDERS_SHOWN,
    ChannelSales,
    DashboardFigures,
    SalesFigures,
    get_dashboard_figures,
    list_latest_orders,
)
from orders.selectors.order_detail import LineFacts, OrderDetail, get_order_for_detail

__all__ = [
    "LATEST_ORDERS_SHOWN",
    "ChannelSales",
    "DashboardFigures",
    "LineFacts",
    "OrderDetail",
    "SalesFigures",
    "get_dashboard_figures",
    "get_order_for_detail",
    "list_latest_orders",
]
