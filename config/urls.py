from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("shipping.urls")),
    path("stock/", include("inventory.urls")),
    path("billing/", include("billing.urls")),
    path("shop/", include("catalog.urls_shop")),
    # Public: the reminder e-mails' cart links (restore, unsubscribe), next to the shop's pages.
    path("shop/cart/", include("orders.urls_shop")),
    path("", include("orders.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
