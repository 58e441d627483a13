"""The unfiltered list of a large shop says "about N orders" (PostgreSQL's estimate, no
COUNT of every order); a filtered list, a small shop and the pages near the end count
exactly. The estimate costs the same one query as the count it replaces."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import roles
from orders.selectors import order_list as selector
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("orders:order-list")


@pytest.fixture
def owner_client(client):
    client.force_login(UserFactory(role=roles.OWNER))
    return client


@pytest.fixture
def thirty_orders():
    channel = ChannelFactory()
    orders = [OrderFactory(channel=channel) for _ in range(30)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orders_order")
    return orders


def _queries(client, params) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_a_small_shop_counts_exactly(owner_client, thirty_orders):
    html, _count = _queries(owner_client, {"per_page": "25"})
    assert "30 orders" in html
    assert "1–25 of 30" in html
    assert "Page 1 of 2" in html
    assert ">Last<" in html
    assert "about" not in html


@pytest.mark.services
def test_the_unfiltered_list_of_a_large_shop_shows_the_estimate_and_no_last_page(
    owner_client, thirty_orders, monkeypatch
):
    # given: 30 orders stand for a large shop
    monkeypatch.setattr(selector, "ESTIMATE_ABOVE", 10)
    owner_client.get(LIST, {"per_page": "25", "page": "2"})  # warm: the session and permissions
    # when
    estimated, estimated_queries = _queries(owner_client, {"per_page": "25"})
    filtered, _filtered_queries = _queries(owner_client, {"per_page": "25", "status": ["placed", "processing"]})
    near_end, near_end_queries = _queries(owner_client, {"per_page": "25", "page": "2"})
    # then: said to be an estimate, rounded, without a "Last" page that may not exist
    assert 'data-testid="order-count">about 30 orders<' in estimated
    assert "1–25 of about 30<" in estimated
    assert "<span>Page 1</span>" in estimated
    assert ">Last<" not in estimated
    assert 'rel="next"' in estimated
    # a filter, or a page near the estimated end, counts exactly
    assert "about" not in filtered
    assert "Page 1 of" in filtered
    assert "about" not in near_end
    assert "30 orders" in near_end and "Page 2 of 2" in near_end
    # the estimate replaces the count: the same number of queries
    assert estimated_queries == near_end_queries <= 8
