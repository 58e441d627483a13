from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("orders/", views.order_list_view, name="order-list"),
    path("orders/export.csv", views.order_export_view, name="order-export"),
    path("orders/bulk/", views.order_bulk_view, name="order-bulk"),
    path("orders/saved-views/", views.order_view_save_view, name="order-view-save"),
    path("orders/saved-views/<int:pk>/delete/", views.order_view_delete_view, name="order-view-delete"),
]
