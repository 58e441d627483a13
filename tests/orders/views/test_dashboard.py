import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from config import roles
from orders.models import Order, OrderEvent, OrderLine
from shipping.models import Shipment
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("orders:dashboard")
FEED = reverse("orders:dashboard-feed")


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


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_orders(count: int, channels) -> None:
    """Orders of every shape the dashboard reads: lines, a backorder, events, an invoice, a shipment."""
    location = LocationFactory()
    for i in range(count):
        order = OrderFactory(
            channel=channels[i % len(channels)],
            placed_at=timezone.now() - timedelta(days=i % 40, minutes=1),
            payment_status=Order.PaymentStatus.PAID if i % 2 else Order.PaymentStatus.UNPAID,
            needs_review=i % 7 == 0,
        )
        OrderLine.objects.create(
            order=order,
            sku=f"SKU-{i % 9}",
            product_name=f"Product {i % 9}",
            quantity=2,
            quantity_backordered=i % 3 == 0,
            unit_price_amount=Decimal("5.00"),
            tax_rate=Decimal("19"),
            line_total_amount=Decimal("10.00"),
        )
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PLACED, new_value="placed")
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PAYMENT_RECORDED, new_value="paid")
        Shipment.objects.create(order=order, location=location, status=Shipment.Status.EXCEPTION)


@pytest.mark.parametrize("url", [DASHBOARD, FEED])
def test_query_count_does_not_grow_with_orders(owner_client, django_assert_max_num_queries, url):
    # given
    channels = [ChannelFactory(code=code) for code in ("web", "phone", "in_person")]
    _add_orders(5, channels)
    with_five = _queries_for(owner_client, url)
    _add_orders(55, channels)

    # when
    # 17 for the orders' figures, +1 cart steps in the feed, +2 carts left behind (settings, count)
    with django_assert_max_num_queries(20 if url == DASHBOARD else 7):
        response = owner_client.get(url)

    # then
    assert response.status_code == 200
    assert _queries_for(owner_client, url) == with_five


def test_feed_polls_its_endpoint_and_works_as_a_static_list(owner_client):
    # given
    order = OrderFactory(channel=ChannelFactory(code="web"), number="1042", customer_name="Grace Hopper")
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PLACED, new_value="placed")

    # when
    page = owner_client.get(DASHBOARD).content.decode()
    partial = owner_client.get(FEED, headers={"HX-Request": "true"}).content.decode()

    # then: the page holds the list already; htmx refreshes it from the partial
    assert f'hx-get="{FEED}"' in page and 'hx-trigger="every 15s"' in page
    assert "Order 1042 placed by Grace Hopper" in page
    assert "Order 1042 placed by Grace Hopper" in partial
    assert "<html" not in partial and '<ol class="feed-list">' in partial


@pytest.mark.parametrize("role", [roles.STAFF, roles.WAREHOUSE])
def test_feed_endpoint_is_open_to_every_role_and_closed_to_strangers(client, role):
    # given
    stranger = UserFactory(is_staff=False)

    # when
    anonymous = client.get(FEED)
    client.force_login(stranger)
    refused = client.get(FEED)
    client.force_login(UserFactory(role=role))
    allowed = client.get(FEED)

    # then
    assert anonymous.status_code == 302
    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_week_comparison_and_words_beside_the_arrow(owner_client):
    # given: sales today and none yesterday or last week
    OrderFactory(channel=ChannelFactory(code="web"), total_amount=Decimal("50.00"))
    OrderFactory(
        channel=ChannelFactory(code="web"),
        total_amount=Decimal("25.00"),
        placed_at=timezone.now() - timedelta(days=28),
    )

    # when
    html = owner_client.get(DASHBOARD).content.decode()
    year = owner_client.get(DASHBOARD, {"compare": "year"}).content.decode()

    # then
    assert 'data-testid="kpi-week-revenue"' in html
    assert re.search(r'data-testid="kpi-today-revenue-change">\s*<span class="trend trend-flat">new', html)
    assert "no sales yesterday" in html
    assert "same weekday last year" in year
    assert 'aria-current="true">Last year<' in year


def test_attention_items_link_to_the_filtered_lists(owner_client):
    # given
    OrderFactory(channel=ChannelFactory(code="web"), placed_at=timezone.now() - timedelta(days=10))

    # when
    html = owner_client.get(DASHBOARD).content.decode()

    # then
    match = re.search(r'data-testid="attention-unpaid">\s*<a class="attention-link" href="([^"]+)"', html)
    assert match, "an unpaid order older than 7 days is a link to the order list"
    assert "payment_status=unpaid" in match.group(1)
    assert 'data-testid="attention-tracking_exceptions">' in html


def test_chart_table_has_one_row_per_day_for_30_or_90_days(owner_client):
    # when
    default = owner_client.get(DASHBOARD).content.decode()
    ninety = owner_client.get(DASHBOARD, {"days": "90"}).content.decode()
    nonsense = owner_client.get(DASHBOARD, {"days": "abc"}).content.decode()

    # then
    day_row = '<th scope="row"><time datetime="'
    assert default.count(day_row) == 30
    assert ninety.count(day_row) == 90
    assert 'id="daily-sales-table"' in nonsense and "last 30 days" in nonsense
    assert 'data-chart-source="#daily-sales-table"' in default


def test_projection_and_pipeline_move_as_soon_as_an_order_is_placed(owner_client):
    # given
    web = ChannelFactory(code="web")
    before = owner_client.get(DASHBOARD).content.decode()

    # when
    OrderFactory(channel=web, total_amount=Decimal("123.00"), placed_at=timezone.now() - timedelta(seconds=1))
    after = owner_client.get(DASHBOARD).content.decode()

    # then
    assert re.search(r'data-testid="projection">€0.00<', before)
    assert not re.search(r'data-testid="projection">€0.00<', after)
    assert 'data-testid="pipeline-unpaid-amount">€123.00<' in after


def test_top_products_are_listed(owner_client):
    # given
    order = OrderFactory(channel=ChannelFactory(code="web"))
    OrderLine.objects.create(
        order=order,
        sku="MUG-1",
        product_name="Stoneware Mug",
        quantity=3,
        unit_price_amount=Decimal("5.00"),
        tax_rate=Decimal("19"),
        line_total_amount=Decimal("15.00"),
    )

    # when
    html = owner_client.get(DASHBOARD).content.decode()

    # then
    assert "Stoneware Mug" in html and "MUG-1" in html


def test_attention_links_only_to_pages_the_role_may_open(client):
    # given: a failed invoice e-mail; Warehouse may not open invoices
    order = OrderFactory(channel=ChannelFactory(code="web"))
    Invoice.objects.create(
        order=order,
        series="INV",
        year=2026,
        sequence_number=1,
        number="INV-1",
        net_amount=Decimal("10.00"),
        tax_amount=Decimal("1.90"),
        total_amount=Decimal("11.90"),
        issued_at=timezone.now(),
        email_error="550 mailbox unavailable",
    )
    pattern = r'data-testid="attention-invoice_emails">\s*<a class="attention-link" href="[^"]*email=failed"'

    # when
    client.force_login(UserFactory(role=roles.OWNER))
    owner = client.get(DASHBOARD).content.decode()
    client.force_login(UserFactory(role=roles.WAREHOUSE))
    warehouse = client.get(DASHBOARD).content.decode()

    # then
    assert re.search(pattern, owner)
    assert not re.search(pattern, warehouse)
    assert re.search(r'data-testid="attention-invoice_emails">\s*<span class="attention-link">', warehouse)
