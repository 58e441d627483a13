"""Routes of the JSON API, mounted at /api/v1/ (namespace ``api``)."""

from django.urls import path, re_path

from orders.api import views
from orders.api.errors import not_found_view

app_name = "api"

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<str:number>/payments/", views.OrderPaymentsView.as_view(), name="order-payments"),
    path("orders/<str:number>/shipments/", views.OrderShipmentsView.as_view(), name="order-shipments"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment-detail"),
    path("shipments/<int:pk>/events/", views.ShipmentEventsView.as_view(), name="shipment-events"),
    path("stock/", views.StockView.as_view(), name="stock"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("invoices/<str:number>/pdf/", views.InvoicePDFView.as_view(), name="invoice-pdf"),
    path("invoices/<str:number>/xml/", views.InvoiceXMLView.as_view(), name="invoice-xml"),
    re_path(r"^.*$", not_found_view, name="not-found"),
]
