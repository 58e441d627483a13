"""The storefront of the web channel, under ``/shop/`` (public: no login)."""

from django.urls import path

from catalog.views import shop_cart, shop_catalogue, shop_checkout

app_name = "shop"

urlpatterns = [
    path("", shop_catalogue.shop_home_view, name="home"),
    path("search/", shop_catalogue.shop_search_view, name="search"),
    path("c/<slug:slug>/", shop_catalogue.shop_category_view, name="category"),
    path("p/<slug:slug>/", shop_cart.shop_product_add_view, name="product"),
    path("cart/", shop_cart.shop_cart_view, name="cart"),
    path("cart/update/", shop_cart.shop_cart_update_view, name="cart-update"),
    path("checkout/", shop_checkout.shop_checkout_view, name="checkout"),
    path("order/<str:code>/", shop_checkout.shop_order_view, name="order"),
    path("order/<str:code>/pay/", shop_checkout.shop_payment_view, name="payment"),
]
