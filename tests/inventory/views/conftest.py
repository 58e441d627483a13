import pytest

from config import roles
from tests.orders.factories import UserFactory


@pytest.fixture
def warehouse_user():
    return UserFactory(role=roles.WAREHOUSE)


@pytest.fixture
def warehouse_client(client, warehouse_user):
    client.force_login(warehouse_user)
    return client


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role=roles.STAFF))
    return client
