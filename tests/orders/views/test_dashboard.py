import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import roles
from orders.models import Order
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("orders:dashboard")


@pytest.fixture
def owner_client(client):
    client.force_login(UserFactory(role=roles.OWNER))
    return client


def test_anonymous_is_sent_to_login(client):
    # when
    response = client.get(DASHBOARD)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={DASHBOARD}"


@pytest.mark.parametrize("role", [roles.OWNER, roles.STAFF, roles.WAREHOUSE])
def test_every_role_sees_the_dashboard(client, role):
    # given
    client.force_login(UserFactory(role=role))

    # when
    response = client.get(DASHBOARD)

    # then
    assert response.status_code == 200
    assert b"Sales by channel" in response.content


def test_signed_in_user_without_a_role_is_refused(client):
    # given
    client.force_login(UserFactory(is_staff=False))

    # when
    response = client.get(DASHBOARD)

    # then
    assert response.status_code == 403


def test_figures_and_latest_orders_are_shown(owner_client, settings):
    # given
    settings.STORE_CURRENCY = "EUR"
    web = ChannelFactory(code="web")
    ChannelFactory(code="wholesale")
    OrderFactory(
        channel=web,
        number="1042",
        total_amount=Decimal("1234.50"),
        customer__first_name="Grace",
        customer__last_name="Hopper",
        customer_name="Grace Hopper",
    )
    OrderFactory(channel=web, number="1043", total_amount=Decimal("99.00"), status=Order.Status.CANCELLED)

    # when
    response = owner_client.get(DASHBOARD)

    # then
    html = response.content.decode()
    assert re.search(r'data-testid="kpi-today-revenue">\s*€1,234.50<', html)
    assert re.search(r'data-testid="kpi-today-count">\s*1<', html)
    assert "Wholesale" in html  # the channel without sales is listed, with zeros
    assert "#1042" in html and "Grace Hopper" in html
    assert '<span class="status-badge status-cancelled">Cancelled</span>' in html


def test_navigation_shows_only_what_the_role_may_open(client):
    # given: a user who may view orders but not stock
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_order", content_type__app_label="orders"))
    client.force_login(user)
    warehouse = UserFactory(role=roles.WAREHOUSE)

    # when
    limited = client.get(DASHBOARD).content.decode()
    client.force_login(warehouse)
    full = client.get(DASHBOARD).content.decode()

    # then
    assert 'aria-current="page"' in limited and ">Dashboard<" in limited
    assert ">Stock<" not in limited
    assert ">Stock<" in full


def test_page_has_a_csp_header_and_no_inline_script(owner_client):
    # given
    OrderFactory(channel=ChannelFactory(code="web"))

    # when
    response = owner_client.get(DASHBOARD)

    # then
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page loads its scripts from files"
    assert all("src=" in tag for tag in scripts), scripts
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


def test_landmarks_and_labelled_search(owner_client):
    # when
    html = owner_client.get(DASHBOARD).content.decode()

    # then
    for landmark in ("<nav", "<main", "<header"):
        assert landmark in html
    assert 'action="/logout/"' in html and 'method="post"' in html


def _queries_for_dashboard(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_orders(owner_client, django_assert_max_num_queries):
    # given
    channels = [ChannelFactory(code=code) for code in ("web", "phone", "in_person")]
    OrderFactory(channel=channels[0])
    with_one = _queries_for_dashboard(owner_client)
    for i in range(29):
        OrderFactory(channel=channels[i % 3], placed_at=timezone.now())

    # when
    with django_assert_max_num_queries(12):
        response = owner_client.get(DASHBOARD)

    # then
    assert response.status_code == 200
    assert _queries_for_dashboard(owner_client) == with_one
