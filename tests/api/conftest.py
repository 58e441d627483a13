"""Fixtures of the API tests: a small shop (one channel, a warehouse, two SKUs, a parcel
method) and API clients authenticated with a role's token."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.roles import OWNER, STAFF, WAREHOUSE
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory
from tests.shipping.factories import ShippingMethodFactory


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="marketplace")
    location = LocationFactory(code="warehouse")
    mug = stocked_variant(channel=channel, location=location, on_hand=10, price=Decimal("12.50"), sku="MUG-RED")
    tee = stocked_variant(channel=channel, location=location, on_hand=3, price=Decimal("20.00"), sku="TEE-M")
    parcel = ShippingMethodFactory(code="parcel", price_amount=Decimal("4.90"))
    return {"channel": channel, "location": location, "mug": mug, "tee": tee, "parcel": parcel}


def client_for(role: str | None, *, username: str | None = None) -> APIClient:
    user = UserFactory(username=username or f"api-{(role or 'norole').lower()}", role=role)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.user = user
    return client


@pytest.fixture
def owner_api(db):
    return client_for(OWNER)


@pytest.fixture
def staff_api(db):
    return client_for(STAFF)


@pytest.fixture
def warehouse_api(db):
    return client_for(WAREHOUSE)


@pytest.fixture
def norole_api(db):
    return client_for(None)


ADDRESS = {"name": "Ada Lovelace", "line1": "Geheimweg 7", "city": "Berlin", "postal_code": "10115", "country": "DE"}


def order_body(**overrides) -> dict:
    body = {
        "channel": "marketplace",
        "external_reference": "",
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+49 30 1234567"},
        "shipping_address": ADDRESS,
        "shipping_method": "parcel",
        "lines": [{"sku": "MUG-RED", "quantity": 2}, {"sku": "TEE-M", "quantity": 1}],
    }
    body.update(overrides)
    return body
