"""Reads for order pages and reports, one module per page family; import from here."""

from orders.selectors.dashboard import (
    COMPARE_CHOICES,
    COMPARE_PREVIOUS,
    COMPARE_YEAR,
    LATEST_ORDERS_SHOWN,
    ChannelSales,
    DashboardFigures,
    SalesFigures,
    figure_windows,
    get_dashboard_figures,
    list_latest_orders,
    period_windows,
)
from orders.selectors.dashboard_attention import AttentionItem, get_attention_items
from orders.selectors.dashboard_closed import load_sales_days
from orders.selectors.dashboard_feed import FeedItem, list_feed
from orders.selectors.dashboard_trends import (
    CHART_DAYS,
    SERIES_DAYS,
    get_pipeline,
    list_daily_sales,
    list_top_products,
    project_month_end,
    warm_dashboard_sums,
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
    "CHART_DAYS",
    "COMPARE_CHOICES",
    "COMPARE_PREVIOUS",
    "COMPARE_YEAR",
    "LATEST_ORDERS_SHOWN",
    "SERIES_DAYS",
    "AttentionItem",
    "ChannelSales",
    "DashboardFigures",
    "FeedItem",
    "LineFacts",
    "OrderDetail",
    "OrderListOptions",
    "SalesFigures",
    "figure_windows",
    "get_attention_items",
    "get_dashboard_figures",
    "get_order_filter_choices",
    "get_order_for_detail",
    "get_order_list_options",
    "get_pipeline",
    "list_daily_sales",
    "list_feed",
    "list_latest_orders",
    "list_orders",
    "list_saved_order_views",
    "list_top_products",
    "load_sales_days",
    "orders_for_list",
    "period_windows",
    "project_month_end",
    "warm_dashboard_sums",
]
