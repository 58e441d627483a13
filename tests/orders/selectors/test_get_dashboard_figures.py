from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from orders.selectors import get_dashboard_figures
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=BERLIN)


def at(*args: int) -> datetime:
    """A moment in the store's time zone (settings.TIME_ZONE is Europe/Berlin)."""
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.STORE_CURRENCY = "EUR"


def by_code(figures):
    return {row.channel.code: row for row in figures.by_channel}


def test_sums_today_and_month_per_channel_and_in_total():
    # given
    web = ChannelFactory(code="web")
    phone = ChannelFactory(code="phone")
    ChannelFactory(code="wholesale")
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 9, 0), total_amount=Decimal("100.00"))
    # 00:30 in Berlin is 23:30 UTC the day before: still today for the store
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 0, 30), total_amount=Decimal("50.50"))
    OrderFactory(channel=phone, placed_at=at(2026, 3, 15, 11, 59), total_amount=Decimal("20.00"))
    OrderFactory(
        channel=web, placed_at=at(2026, 3, 2, 10, 0), total_amount=Decimal("30.00"), status=Order.Status.COMPLETED
    )
    OrderFactory(
        channel=phone, placed_at=at(2026, 3, 1, 0, 15), total_amount=Decimal("5.00"), status=Order.Status.PROCESSING
    )
    # not counted: last month, cancelled, draft
    OrderFactory(channel=web, placed_at=at(2026, 2, 28, 23, 59), total_amount=Decimal("1000.00"))
    OrderFactory(
        channel=web, placed_at=at(2026, 3, 15, 10, 0), total_amount=Decimal("700.00"), status=Order.Status.CANCELLED
    )
    OrderFactory(
        channel=phone, placed_at=at(2026, 3, 15, 10, 0), total_amount=Decimal("800.00"), status=Order.Status.DRAFT
    )

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    rows = by_code(figures)
    assert figures.today.isoformat() == "2026-03-15"
    assert (rows["web"].today.revenue, rows["web"].today.order_count) == (Decimal("150.50"), 2)
    assert (rows["web"].month.revenue, rows["web"].month.order_count) == (Decimal("180.50"), 3)
    assert (rows["phone"].today.revenue, rows["phone"].today.order_count) == (Decimal("20.00"), 1)
    assert (rows["phone"].month.revenue, rows["phone"].month.order_count) == (Decimal("25.00"), 2)
    assert (rows["wholesale"].today.revenue, rows["wholesale"].month.order_count) == (Decimal("0"), 0)
    assert (figures.today_total.revenue, figures.today_total.order_count) == (Decimal("170.50"), 3)
    assert (figures.month_total.revenue, figures.month_total.order_count) == (Decimal("205.50"), 5)
    assert figures.month_total.average_order_value == Decimal("41.10")
    assert figures.today_total.average_order_value == Decimal("56.83")  # 170.50 / 3 = 56.8333…


def test_average_of_no_orders_is_zero_and_every_active_channel_is_listed():
    # given
    ChannelFactory(code="web")
    ChannelFactory(code="phone")
    ChannelFactory(code="old", is_active=False)

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert sorted(by_code(figures)) == ["phone", "web"]
    assert figures.month_total.average_order_value == Decimal("0.00")
    assert figures.today_total.order_count == 0


def test_inactive_channel_that_sold_this_month_is_still_listed():
    # given
    old = ChannelFactory(code="old", is_active=False)
    OrderFactory(channel=old, placed_at=at(2026, 3, 3, 10, 0), total_amount=Decimal("9.99"))

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert by_code(figures)["old"].month.revenue == Decimal("9.99")


def test_orders_in_another_currency_are_counted_apart_not_summed():
    # given
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 9, 0), total_amount=Decimal("10.00"))
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 9, 0), total_amount=Decimal("99.00"), currency="GBP")

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.month_total.revenue == Decimal("10.00")
    assert figures.month_total.order_count == 1
    assert figures.other_currency_count == 1


def test_month_ends_at_the_local_midnight_of_the_first():
    # given: 1 April 00:30 in Berlin is still 31 March in UTC
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, placed_at=at(2026, 3, 31, 23, 0), total_amount=Decimal("1.00"))
    OrderFactory(channel=web, placed_at=at(2026, 4, 1, 0, 30), total_amount=Decimal("2.00"))

    # when
    march = get_dashboard_figures(now=at(2026, 3, 31, 23, 30))
    april = get_dashboard_figures(now=at(2026, 4, 1, 8, 0))

    # then
    assert march.month_total.revenue == Decimal("1.00")
    assert april.month_total.revenue == Decimal("2.00")
    assert april.today_total.revenue == Decimal("2.00")


def test_latest_orders_are_the_ten_newest_without_drafts():
    # given
    web = ChannelFactory(code="web")
    for day in range(1, 13):
        OrderFactory(channel=web, placed_at=at(2026, 3, day, 10, 0), number=f"10{day:02d}")
    OrderFactory(channel=web, status=Order.Status.DRAFT)
    OrderFactory(channel=web, placed_at=at(2026, 3, 14, 10, 0), number="2000", status=Order.Status.CANCELLED)

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    numbers = [o.number for o in figures.latest_orders]
    assert numbers == ["2000", "1012", "1011", "1010", "1009", "1008", "1007", "1006", "1005", "1004"]


def count_queries() -> int:
    with CaptureQueriesContext(connection) as ctx:
        figures = get_dashboard_figures(now=NOW)
        for order in figures.latest_orders:
            str(order.channel), str(order.customer)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_orders():
    # given
    channels = [ChannelFactory(code=code) for code in ("web", "phone", "wholesale")]
    OrderFactory(channel=channels[0], placed_at=at(2026, 3, 15, 9, 0))
    with_one = count_queries()
    for i in range(29):
        OrderFactory(channel=channels[i % 3], placed_at=at(2026, 3, 1 + i % 14, 9, 0))

    # when
    with_thirty = count_queries()

    # then: the channels, the recent changes of past orders, the sums per day, the latest orders
    assert with_one == with_thirty == 4
