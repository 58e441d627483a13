from django.urls import path

from shipping import views

app_name = "shipping"

urlpatterns = [
    path("track/<str:code>/", views.track_view, name="track"),
    path("shipping/", views.shipment_list_view, name="shipment-list"),
    path("shipping/tracking/import/", views.tracking_import_view, name="tracking-import"),
    path("shipping/webhooks/carriers/<slug:code>/", views.carrier_webhook_view, name="carrier-webhook"),
    path("shipping/pick-list/", views.pick_list_view, name="pick-list"),
    path("shipping/orders/<str:number>/shipments/new/", views.shipment_create_view, name="shipment-create"),
    path("shipping/orders/<str:number>/returns/new/", views.return_create_view, name="return-create"),
    path("shipping/returns/<int:pk>/", views.return_detail_view, name="return-detail"),
    path("shipping/shipments/<int:pk>/", views.shipment_detail_view, name="shipment-detail"),
    path("shipping/shipments/<int:pk>/pack/", views.shipment_pack_view, name="shipment-pack"),
    path("shipping/shipments/<int:pk>/ship/", views.shipment_ship_view, name="shipment-ship"),
    path("shipping/shipments/<int:pk>/events/", views.shipment_event_view, name="shipment-event"),
    path("shipping/shipments/<int:pk>/ready/", views.shipment_ready_view, name="shipment-ready"),
    path("shipping/shipments/<int:pk>/picked-up/", views.shipment_picked_up_view, name="shipment-picked-up"),
    path("shipping/shipments/<int:pk>/packing-slip.pdf", views.packing_slip_view, name="shipment-packing-slip"),
]
