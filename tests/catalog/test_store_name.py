"""The store's own name (StoreSettings) in the back-office header and the shipping and stock e-mails."""

import pytest
from django.core import mail
from django.urls import reverse

from catalog.models import StoreSettings
from config import roles
from inventory.tasks import send_low_stock_digest
from shipping.services import create_shipment, mark_shipped
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory
from tests.shipping.factories import placed_order

pytestmark = pytest.mark.django_db


def _header(client) -> str:
    client.force_login(UserFactory(role=roles.OWNER))
    response = client.get(reverse("orders:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_header_shows_the_store_settings_name(client):
    # given
    StoreSettings.objects.create(pk=1, name="Linden & Loom")
    # when
    page = _header(client)
    # then
    assert 'id="app-sidebar-title"' in page
    assert ">Linden &amp; Loom</a>" in page


def test_without_store_settings_the_header_falls_back_to_the_setting(client, settings):
    settings.STORE_NAME = "Fallback Shop"
    assert ">Fallback Shop</a>" in _header(client)


def test_saving_the_settings_shows_the_new_name_at_once(client):
    # given a name already read (and cached)
    store = StoreSettings.objects.create(pk=1, name="Old Name")
    assert StoreSettings.cached_name() == "Old Name"
    # when
    store.name = "New Name"
    store.save()
    # then
    assert ">New Name</a>" in _header(client)


def test_the_name_is_read_from_the_database_once(django_assert_num_queries):
    # given
    StoreSettings.objects.create(pk=1, name="Linden & Loom")
    # when / then: one query when cold, none once cached
    with django_assert_num_queries(1):
        assert StoreSettings.cached_name() == "Linden & Loom"
    with django_assert_num_queries(0):
        assert StoreSettings.cached_name() == "Linden & Loom"


def test_the_shipped_email_names_the_store(django_capture_on_commit_callbacks):
    # given
    StoreSettings.objects.create(pk=1, name="Linden & Loom")
    warehouse = LocationFactory(code="warehouse")
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        mark_shipped(shipment=shipment, carrier="DHL", tracking_number="JD0001")
    # then
    assert len(mail.outbox) == 1
    assert "Linden & Loom" in mail.outbox[0].subject
    assert "Linden & Loom" in mail.outbox[0].body


def test_the_low_stock_digest_names_the_store(settings):
    # given (a private cache: the digest's once-a-day key must not leak between tests)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "name"}}
    from django.core.cache import cache

    cache.clear()
    StoreSettings.objects.create(pk=1, name="Linden & Loom")
    UserFactory(username="boss", email="boss@example.com", role=roles.OWNER)
    stocked_variant(sku="LOW-ONE", on_hand=1)
    # when
    assert send_low_stock_digest.delay().get() == 1
    # then
    assert mail.outbox[0].subject.startswith("Linden & Loom:")
    assert "Linden &amp; Loom" in mail.outbox[0].alternatives[0][0]
