from django.urls import path

from shipping import views

app_name = "shipping"

urlpatterns = [
    path("track/<str:code>/", views.track_view, name="track"),
]
