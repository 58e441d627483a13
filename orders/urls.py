from django.urls import path

from orders import views
from orders.views import order_import

app_name = "orders"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("orders/", views.order_list_view, name="order-list"),
    path("orders/export.csv", views.order_export_view, name="order-export"),
    path("orders/bulk/", views.order_bulk_view, name="order-bulk"),
    path("orders/saved-views/", views.order_view_save_view, name="order-view-save"),
    path("orders/saved-views/<int:pk>/delete/", views.order_view_delete_view, name="order-view-delete"),
    path("dashboard/feed/", views.dashboard_feed_view, name="dashboard-feed"),
    path("carts/report/", views.cart_report_view, name="cart-report"),
    path("orders/new/", views.order_new_view, name="order-new"),
    path("orders/new/<int:draft_id>/", views.order_new_view, name="order-draft"),
    path("orders/new/customers/", views.entry_customer_search_view, name="entry-customers"),
    path("orders/new/products/", views.entry_product_search_view, name="entry-products"),
    path("orders/new/totals/", views.entry_totals_view, name="entry-totals"),
    path("orders/import/", order_import.order_import_view, name="order-import"),
    path("orders/import/<int:pk>/", order_import.order_import_detail_view, name="order-import-detail"),
    path("orders/import/<int:pk>/confirm/", order_import.order_import_confirm_view, name="order-import-confirm"),
    path("orders/import/<int:pk>/status/", order_import.order_import_status_view, name="order-import-status"),
    path("orders/<str:number>/", views.order_detail_view, name="order-detail"),
    path("orders/<str:number>/note/", views.order_note_view, name="order-note"),
    path("orders/<str:number>/cancel/", views.order_cancel_view, name="order-cancel"),
    path("orders/<str:number>/edit/", views.order_edit_view, name="order-edit"),
    path(
        "orders/<str:number>/start-processing/",
        views.order_transition_view,
        {"action": "start-processing"},
        name="order-start-processing",
    ),
    path("orders/<str:number>/complete/", views.order_transition_view, {"action": "complete"}, name="order-complete"),
    path(
        "orders/<str:number>/approve-review/",
        views.order_transition_view,
        {"action": "approve-review"},
        name="order-approve-review",
    ),
]
