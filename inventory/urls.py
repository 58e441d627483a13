from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_list_view, name="stock-list"),
    path("export.csv", views.stock_export_view, name="stock-export"),
    path("import/", views.stock_import_view, name="stock-import"),
    path("receive/", views.stock_receive_view, name="stock-receive"),
    path("adjust/", views.stock_adjust_view, name="stock-adjust"),
    path("count/", views.stock_count_view, name="stock-count"),
    path("transfer/", views.stock_transfer_view, name="stock-transfer"),
    path("variants/<str:sku>/", views.stock_card_view, name="stock-card"),
]
