"""Today, this week and this month against their comparison, in the store's time zone."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import Order
from orders.selectors import COMPARE_YEAR, get_dashboard_figures
from orders.selectors.dashboard import Change, period_windows
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 18 March 2026, 10:00 in Berlin; the week started on Monday the 16th.
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=BERLIN)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.STORE_CURRENCY = "EUR"


@pytest.fixture
def web():
    return ChannelFactory(code="web")


def sale(channel, when: datetime, amount: str, **kwargs) -> Order:
    return OrderFactory(channel=channel, placed_at=when, total_amount=Decimal(amount), **kwargs)


def test_week_starts_on_monday_at_local_midnight(web):
    # given
    sale(web, at(2026, 3, 16, 0, 5), "10.00")  # Monday 00:05 Berlin = Sunday 23:05 UTC
    sale(web, at(2026, 3, 17, 15, 0), "20.00")
    sale(web, at(2026, 3, 15, 23, 55), "99.00")  # Sunday: last week

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.week_total.revenue == Decimal("30.00")
    assert figures.week_total.order_count == 2
    assert figures.period("week").start.isoformat() == "2026-03-16"


def test_today_is_compared_with_yesterday_up_to_the_same_time(web):
    # given
    sale(web, at(2026, 3, 18, 9, 0), "150.00")
    sale(web, at(2026, 3, 17, 9, 30), "100.00")  # yesterday before 10:00: compared
    sale(web, at(2026, 3, 17, 18, 0), "500.00")  # yesterday after 10:00: not yet

    # when
    today = get_dashboard_figures(now=NOW).period("today")

    # then
    assert today.previous.revenue == Decimal("100.00")
    assert today.revenue_change.percent == Decimal("50")
    assert today.revenue_change.direction == "up"
    assert today.previous_label == "yesterday"


def test_week_and_month_are_compared_with_the_same_stretch_before(web):
    # given: this week Mon–Wed 10:00 and this month 1st–18th 10:00
    sale(web, at(2026, 3, 16, 12, 0), "40.00")
    sale(web, at(2026, 3, 2, 12, 0), "60.00")
    # last week: Monday 9th to Wednesday 11th 10:00 count, Thursday 12th does not
    sale(web, at(2026, 3, 11, 9, 0), "80.00")
    sale(web, at(2026, 3, 12, 9, 0), "1000.00")
    # last month: 1st to 18th February 10:00 count, the 18th at 11:00 does not
    sale(web, at(2026, 2, 18, 9, 0), "200.00")
    sale(web, at(2026, 2, 18, 11, 0), "3000.00")

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    week, month = figures.period("week"), figures.period("month")
    assert (week.current.revenue, week.previous.revenue) == (Decimal("40.00"), Decimal("80.00"))
    assert week.revenue_change.percent == Decimal("-50")
    assert week.revenue_change.direction == "down"
    # this month holds last week's orders too: 40 + 60 + 80 + 1000
    assert (month.current.revenue, month.previous.revenue) == (Decimal("1180.00"), Decimal("200.00"))


def test_last_year_compares_the_same_weekday_and_the_same_month(web):
    # given: 364 days before Wednesday 18 March 2026 is Wednesday 19 March 2025
    sale(web, at(2026, 3, 18, 8, 0), "30.00")
    sale(web, at(2025, 3, 19, 8, 0), "20.00")
    sale(web, at(2025, 3, 18, 8, 0), "500.00")  # the same date, but a Tuesday: not compared for today
    sale(web, at(2025, 3, 5, 8, 0), "10.00")

    # when
    figures = get_dashboard_figures(now=NOW, compare=COMPARE_YEAR)

    # then
    assert figures.period("today").previous.revenue == Decimal("20.00")
    assert figures.period("month").previous.revenue == Decimal(
        "510.00"
    )  # 1–18 March 2025 until 10:00; the 19th is past it
    assert figures.period("today").previous_label == "same weekday last year"


def test_month_comparison_stops_at_the_end_of_a_shorter_month(web):
    # given: 31 March is compared with all of February (28 days), not with 3 March
    sale(web, at(2026, 2, 28, 20, 0), "7.00")
    sale(web, at(2026, 3, 2, 10, 0), "1000.00")

    # when
    windows = period_windows(now=at(2026, 3, 31, 22, 0), compare="previous")
    figures = get_dashboard_figures(now=at(2026, 3, 31, 22, 0))

    # then
    assert windows["month"][1].end == at(2026, 3, 1, 0, 0)
    assert figures.period("month").previous.revenue == Decimal("7.00")


def test_averages_and_order_counts_are_compared_too(web):
    # given
    sale(web, at(2026, 3, 18, 9, 0), "30.00")
    sale(web, at(2026, 3, 18, 9, 5), "30.00")
    sale(web, at(2026, 3, 17, 9, 0), "40.00")

    # when
    today = get_dashboard_figures(now=NOW).period("today")

    # then
    assert today.orders_change.percent == Decimal("100")
    assert today.current.average_order_value == Decimal("30.00")
    assert today.average_change.percent == Decimal("-25")


def test_change_without_a_previous_figure_is_new_not_infinite():
    # then
    assert Change(current=Decimal("5"), previous=Decimal("0")).direction == "new"
    assert Change(current=Decimal("5"), previous=Decimal("0")).percent is None
    assert Change(current=Decimal("0"), previous=Decimal("0")).direction == "none"
    assert Change(current=Decimal("5"), previous=Decimal("5")).direction == "flat"


def test_per_channel_week_and_month_change(web):
    # given
    phone = ChannelFactory(code="phone")
    sale(web, at(2026, 3, 17, 9, 0), "50.00")
    sale(web, at(2026, 2, 10, 9, 0), "25.00")
    sale(phone, at(2026, 3, 3, 9, 0), "5.00")

    # when
    rows = {row.channel.code: row for row in get_dashboard_figures(now=NOW).by_channel}

    # then
    assert rows["web"].week.revenue == Decimal("50.00")
    assert rows["web"].month_change.percent == Decimal("100")
    assert rows["phone"].week.revenue == Decimal("0")
    assert rows["phone"].month_change.direction == "new"


def test_inactive_channel_with_sales_only_last_month_still_counts_in_the_comparison():
    # given
    old = ChannelFactory(code="old", is_active=False)
    sale(old, at(2026, 2, 3, 9, 0), "12.00")

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.period("month").previous.revenue == Decimal("12.00")


def test_orders_after_now_and_cancelled_orders_are_not_counted(web):
    # given
    sale(web, at(2026, 3, 18, 11, 0), "70.00")  # later today than "now"
    sale(web, at(2026, 3, 18, 9, 0), "80.00", status=Order.Status.CANCELLED)

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.today_total.order_count == 0
