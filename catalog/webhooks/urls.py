from django.urls import path

from catalog.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list_view, name="endpoint-list"),
    path("new/", views.endpoint_create_view, name="endpoint-create"),
    path("<int:pk>/", views.endpoint_edit_view, name="endpoint-edit"),
    path("<int:pk>/test/", views.endpoint_test_view, name="endpoint-test"),
    path("<int:pk>/rotate-secret/", views.endpoint_rotate_secret_view, name="endpoint-rotate-secret"),
    path("<int:pk>/deliveries/", views.delivery_list_view, name="delivery-list"),
    path(
        "<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver_view,
        name="delivery-redeliver",
    ),
]
