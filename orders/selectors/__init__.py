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
from orders.selectors.order_list import (
    OrderListOptions,
    get_order_filter_choices,
    get_order_list_options,
    list_orders,
    list_saved_order_views,
    orders_for_list,
)

__all__ = [
    "LATEST_ORDERS_SHOWN",
    "ChannelSales",
    "DashboardFigures",
    "LineFacts",
    "OrderDetail",
    "OrderListOptions",
    "SalesFigures",
    "get_dashboard_figures",
    "get_order_filter_choices",
    "get_order_for_detail",
    "get_order_list_options",
    "list_latest_orders",
    "list_orders",
    "list_saved_order_views",
    "orders_for_list",
]
