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
    # Room for billing's Factur-X download: invoices/<number>/xml/ (wired at integration).
    re_path(r"^.*$", not_found_view, name="not-found"),
]
