from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from orders.services import LineInput, place_order
from shipping.models import Shipment, TrackingEvent
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    return place_order(
        channel=channel,
        email="ada.secret@example.com",
        phone="+49 30 5550123",
        customer_name="Ada Lovelace",
        shipping_address={"name": "Ada Lovelace", "line1": "Geheimweg 7", "postal_code": "10115", "city": "Berlin"},
        lines=[LineInput(variant=variant, quantity=1)],
    )


def test_tracking_page_shows_progress_and_parcels_but_nothing_personal(client, order):
    # given a shipment in transit with a carrier event
    shipment = Shipment.objects.create(
        order=order, location=LocationFactory(), status="in_transit", carrier="DHL", tracking_number="JD0001"
    )
    TrackingEvent.objects.create(
        shipment=shipment, status="in_transit", place="Leipzig hub", occurred_at=timezone.now()
    )
    # when
    response = client.get(reverse("shipping:track", args=[order.tracking_code]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html
    assert "JD0001" in html and "Leipzig hub" in html
    assert 'aria-current="step"' in html
    for secret in ("ada.secret@example.com", "5550123", "Lovelace", "Geheimweg"):
        assert secret not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_pickup_order_shows_pickup_steps(client, order):
    shop = LocationFactory(code="shop", name="Our Shop", is_pickup_point=True, opening_hours="Mo–Sa 10–18")
    Order.objects.filter(pk=order.pk).update(pickup_location=shop)
    Shipment.objects.create(order=order, location=shop, status="ready_for_pickup")
    html = client.get(reverse("shipping:track", args=[order.tracking_code])).content.decode()
    assert "Ready for pickup" in html and "Out for delivery" not in html
    assert "Mo–Sa 10–18" in html


def test_unknown_code_and_drafts_are_a_plain_404(client, order):
    draft = Order.objects.create(channel=order.channel, status="draft", placed_at=timezone.now() - timedelta(days=1))
    assert client.get(reverse("shipping:track", args=["nope-not-a-code"])).status_code == 404
    assert client.get(reverse("shipping:track", args=[draft.tracking_code])).status_code == 404


def test_guessing_codes_is_rate_limited(client, settings):
    settings.TRACKING_RATE_LIMIT = 5
    statuses = [client.get(reverse("shipping:track", args=[f"guess-{i}"])).status_code for i in range(7)]
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
