from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.views import settings_index_view

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orders.api.urls")),
    path(
        "api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="api-schema"
    ),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[]),
        name="api-docs",
    ),
    path("settings/", settings_index_view, name="settings"),
    path("settings/api-tokens/", include("orders.api.token_urls")),
    path("settings/webhooks/", include("catalog.webhooks.urls")),
    path("", include("shipping.urls")),
    path("stock/", include("inventory.urls")),
    path("catalog/", include("catalog.urls")),
    path("billing/", include("billing.urls")),
    path("shop/", include("catalog.urls_shop")),
    # Public: the reminder e-mails' cart links (restore, unsubscribe), next to the shop's pages.
    path("shop/cart/", include("orders.urls_shop")),
    path("", include("orders.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
