"""The catalogue's back-office pages, under ``/catalog/``."""

from django.urls import path

from catalog.views import discounts

app_name = "catalog"

urlpatterns = [
    path("discounts/", discounts.discount_list_view, name="discount-list"),
    path("discounts/new/", discounts.discount_create_view, name="discount-create"),
    path("discounts/<int:pk>/", discounts.discount_edit_view, name="discount-edit"),
    path("discounts/<int:pk>/deactivate/", discounts.discount_deactivate_view, name="discount-deactivate"),
]
