import pytest

from tests.inventory.factories import LocationFactory
from tests.orders.factories import UserFactory


@pytest.fixture
def warehouse():
    return LocationFactory(code="warehouse")


@pytest.fixture
def staff():
    return UserFactory(role="Warehouse")
