"""The cart's public links from the reminder e-mails, under ``/shop/cart/`` (no login)."""

from django.urls import path

from orders.views import carts

app_name = "shop-cart"

urlpatterns = [
    path("restore/<str:token>/", carts.cart_restore_view, name="restore"),
    path("unsubscribe/<str:token>/", carts.cart_unsubscribe_view, name="unsubscribe"),
]
