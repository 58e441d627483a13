"""The cart report: the figures and the funnel from SQL, the page, its date range, its cost."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from orders.models import Cart, CartEvent, CartStage
from orders.selectors.carts import get_cart_report
from orders.selectors.dashboard_feed import list_feed
from orders.services import (
    add_to_cart,
    get_or_create_cart,
    give_cart_email,
    place_order_from_cart,
    record_cart_step,
    send_cart_reminder,
)
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
STEPS = [
    CartEvent.Kind.CHECKOUT_STARTED,
    CartEvent.Kind.DETAILS_GIVEN,
    CartEvent.Kind.SHIPPING_CHOSEN,
    CartEvent.Kind.PAYMENT_STARTED,
]


@pytest.fixture
def shop():
    web = ChannelFactory(code="web")
    return web, stocked_variant(channel=web, on_hand=100, price=Decimal("25.00"))


def _cart(shop, *, steps: int, session: str, ago=timedelta(hours=5)):
    web, shirt = shop
    with time_machine.travel(NOW - ago, tick=False):
        cart = get_or_create_cart(channel=web, session_key=session)
        add_to_cart(cart=cart, variant=shirt, quantity=2)
        for kind in STEPS[:steps]:
            if kind == CartEvent.Kind.DETAILS_GIVEN:
                give_cart_email(cart=cart, email=f"{session}@example.com", consent=True)
            else:
                record_cart_step(cart=cart, kind=kind)
    return cart


def _place(cart, **kwargs):
    return place_order_from_cart(cart=cart, email="x@example.com", customer_name="X", **kwargs)


@pytest.fixture
def carts(shop):
    """Ten carts: 3 stopped at the cart, 2 at checkout, 1 at details, 1 at shipping, 1 at
    payment, 2 ordered (one of them after a reminder); one more from last month."""
    made = []
    for i, steps in enumerate([0, 0, 0, 1, 1, 2, 3, 4, 4, 4]):
        made.append(_cart(shop, steps=steps, session=f"s{i}"))
    with time_machine.travel(NOW - timedelta(hours=4), tick=False):
        record_cart_step(cart=made[7], kind=CartEvent.Kind.PAYMENT_FAILED)
    with time_machine.travel(NOW - timedelta(hours=3), tick=False):
        assert send_cart_reminder(cart_id=made[5].pk, number=1)  # details given: reminded, not back
        assert send_cart_reminder(cart_id=made[9].pk, number=1)
        _place(made[9])  # recovered: 50.00 net + 19 % = 59.50
        _place(made[8])  # ordered without a reminder
    _cart(shop, steps=0, session="old", ago=timedelta(days=40))
    # a fresh cart, still active: not abandoned
    _cart(shop, steps=0, session="fresh", ago=timedelta(minutes=5))
    return made


def test_the_report_counts_and_the_funnel(carts):
    today = timezone.localdate(NOW)  # the store's days, not UTC's (late evenings)
    report = get_cart_report(date_from=today - timedelta(days=1), date_to=today, now=NOW)
    assert report.started == 11
    assert report.converted == 2
    assert report.abandoned == 9  # 8 open and idle 5 hours + 1 recovered; not the fresh one
    assert report.reminded == 2
    assert report.recovered == 1
    assert report.recovery_rate == Decimal("50.0")
    assert report.recovered_revenue == Decimal("59.50")
    assert report.payment_failed == 1
    funnel = {step.stage: (step.reached, step.stopped) for step in report.funnel}
    assert funnel == {
        CartStage.CART: (11, 4),
        CartStage.CHECKOUT: (7, 2),
        CartStage.DETAILS: (5, 1),
        CartStage.SHIPPING: (4, 1),
        CartStage.PAYMENT: (3, 1),
        CartStage.PLACED: (2, 0),
    }


def test_the_report_reads_only_its_date_range(carts):
    old_day = timezone.localdate(NOW - timedelta(days=40))  # the store's day, not UTC's (late evenings)
    report = get_cart_report(date_from=old_day, date_to=old_day, now=NOW)
    assert report.started == 1 and report.recovered == 0


def test_the_report_costs_two_queries_whatever_the_number_of_carts(carts, django_assert_num_queries):
    with django_assert_num_queries(2):
        get_cart_report(date_from=timezone.localdate(NOW) - timedelta(days=30), date_to=timezone.localdate(NOW))


def test_the_feed_shows_cart_activity(shop):
    web, shirt = shop
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    record_cart_step(cart=cart, kind=CartEvent.Kind.CHECKOUT_STARTED)
    feed = list_feed()
    assert [item.text for item in feed[:2]] == [
        "Checkout started",
        f"2 × {shirt.display_name} added to a cart",
    ]
    assert feed[0].kind == "checkout_started" and feed[0].url == "/carts/report/"


# ------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------

URL = "/carts/report/"


@pytest.fixture
def owner_client(client):
    client.force_login(UserFactory(role="Owner"))
    return client


@pytest.mark.parametrize(("role", "status"), [("Owner", 200), ("Staff", 200), ("Warehouse", 403)])
def test_owner_and_staff_see_the_report(client, role, status):
    client.force_login(UserFactory(role=role))
    assert client.get(URL).status_code == status


def test_the_page_shows_the_figures_and_a_chart_from_the_table(owner_client, carts):
    response = owner_client.get(URL)
    html = response.content.decode()
    assert response.context["report"].started == 11
    assert 'data-testid="carts-recovered">1<' in html
    assert 'data-chart-source="#cart-funnel-table"' in html and "chart.umd.min.js" in html
    assert "<script>" not in html  # CSP: no inline script


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-05-10&date_to=2026-05-01", "on or after the start date"),
        ("date_from=2020-01-01&date_to=2026-01-01", "at most 366 days"),
        ("date_from=yesterday&date_to=2026-05-01", "Enter a valid date"),
        ("date_from=&date_to=2026-05-01", "This field is required"),
    ],
)
def test_a_bad_date_range_says_why_and_shows_no_figures(owner_client, query, message):
    response = owner_client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["report"] is None


def test_the_page_costs_the_same_queries_with_more_carts(owner_client, shop, django_assert_num_queries):
    for i in range(3):
        _cart(shop, steps=i % 4, session=f"a{i}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        owner_client.get(URL)
    for i in range(30):
        _cart(shop, steps=i % 4, session=f"b{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = owner_client.get(URL)
    assert response.context["report"].started == 33
    assert Cart.objects.count() == 33


def test_the_dashboard_attention_counts_carts_left_behind_and_links_the_report(carts, owner_client):
    from orders.selectors import get_attention_items

    (item,) = [i for i in get_attention_items(now=NOW) if i.key == "abandoned_carts"]
    assert item.count == 8  # open and idle: not the two ordered, not the fresh one, not last month's
    assert "(1 reminded)" in item.text
    assert item.url == URL and item.permission == "orders.view_cart"
    html = owner_client.get("/").content.decode()
    assert 'data-testid="attention-abandoned_carts"' in html and f'href="{URL}"' in html
