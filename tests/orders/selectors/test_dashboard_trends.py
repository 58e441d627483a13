"""Daily sales, the month-end projection, the pipeline and the top products."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders.models import Order, OrderLine
from orders.selectors import get_pipeline, list_daily_sales, list_top_products, project_month_end
from orders.selectors.dashboard_trends import DaySales
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.STORE_CURRENCY = "EUR"


def series(*, today: date, revenue_of, days: int = 90) -> list[DaySales]:
    """A constructed daily series ending today: ``revenue_of(day)`` for each day."""
    first = today - timedelta(days=days - 1)
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        out.append(DaySales(day=day, revenue=Decimal(revenue_of(day)), order_count=1))
    return out


# Weekdays 100, Saturdays 300, Sundays nothing.
def weekly(day: date) -> str:
    return {5: "300", 6: "0"}.get(day.weekday(), "100")


# ---------------------------------------------------------------- projection (no database)


def test_a_month_going_as_usual_projects_the_usual_weekdays_ahead():
    # given: Wednesday 18 March 2026 at noon, 40 sold so far today; every earlier day as usual
    today = date(2026, 3, 18)
    daily = series(today=today, revenue_of=lambda d: "40" if d == today else weekly(d))

    # when
    projection = project_month_end(daily=daily, now=at(2026, 3, 18, 12, 0))

    # then: 1–17 March sold 12 weekdays × 100 + 2 Saturdays × 300 = 1800, plus today's 40;
    # ahead: half of a usual Wednesday (50) and 19–31 March (9 weekdays, 2 Saturdays) = 1500
    assert projection.run_rate == Decimal("1.00")
    assert projection.month_to_date == Decimal("1840.00")
    assert projection.projected == Decimal("3390.00")
    assert projection.days_left == 14
    assert projection.month_end == date(2026, 3, 31)


def test_a_month_running_hot_scales_the_usual_pattern_by_its_run_rate():
    # given: a shop selling only on Saturdays, 100 each, then 200 on both March Saturdays so far
    today = date(2026, 3, 18)

    def saturdays(day: date) -> str:
        if day.weekday() != 5:
            return "0"
        return "200" if day.month == 3 else "100"

    daily = series(today=today, revenue_of=saturdays)

    # when
    projection = project_month_end(daily=daily, now=at(2026, 3, 18, 12, 0))

    # then: usual Saturday (6 × 100 + 2 × 200) / 8 = 125; March ran 400 against 250 usual,
    # a rate of 1.6, so the 21st and 28th are projected at 200 each
    assert projection.run_rate == Decimal("1.60")
    assert projection.run_rate_percent == Decimal("160")
    assert projection.pace_direction == "up" and projection.pace_difference == Decimal("60")
    assert projection.projected == Decimal("800.00")


def test_each_order_placed_today_moves_the_projection_by_its_amount():
    # given
    today = date(2026, 3, 18)
    before = series(today=today, revenue_of=lambda d: "40" if d == today else weekly(d))
    after = series(today=today, revenue_of=lambda d: "65" if d == today else weekly(d))

    # when
    now = at(2026, 3, 18, 12, 0)
    difference = project_month_end(daily=after, now=now).projected - project_month_end(daily=before, now=now).projected

    # then
    assert difference == Decimal("25.00")


def test_on_the_first_of_the_month_the_usual_pattern_is_taken_as_is():
    # given: Wednesday 1 April 2026 at 18:00, nothing sold yet
    today = date(2026, 4, 1)
    daily = series(today=today, revenue_of=lambda d: "0" if d == today else weekly(d))

    # when
    projection = project_month_end(daily=daily, now=at(2026, 4, 1, 18, 0))

    # then: a quarter of a Wednesday (25), then 2–30 April: 21 weekdays and 4 Saturdays
    assert projection.run_rate == Decimal("1.00")
    assert projection.projected == Decimal("25") + 21 * Decimal("100") + 4 * Decimal("300")


def test_without_any_history_the_month_to_date_is_extrapolated_linearly():
    # given: a new shop whose first sales are today, 11 March at noon: 21 in 10.5 days
    today = date(2026, 3, 11)
    daily = series(today=today, revenue_of=lambda d: "21" if d == today else "0")

    # when
    projection = project_month_end(daily=daily, now=at(2026, 3, 11, 12, 0))

    # then: 2 a day over the 20.5 days still ahead
    assert projection.run_rate is None
    assert projection.pace_direction == ""
    assert projection.projected == Decimal("62.00")


# ---------------------------------------------------------------- database reads


@pytest.mark.django_db
def test_daily_sales_are_grouped_by_the_store_day_with_gaps_as_zeros():
    # given
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, placed_at=at(2026, 3, 18, 0, 30), total_amount=Decimal("10.00"))  # 17th in UTC
    OrderFactory(channel=web, placed_at=at(2026, 3, 18, 9, 0), total_amount=Decimal("5.50"))
    OrderFactory(channel=web, placed_at=at(2026, 3, 16, 23, 30), total_amount=Decimal("7.00"))
    OrderFactory(
        channel=web, placed_at=at(2026, 3, 16, 8, 0), total_amount=Decimal("9.00"), status=Order.Status.CANCELLED
    )
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 8, 0), total_amount=Decimal("9.00"))  # before the window

    # when
    daily = list_daily_sales(days=3, now=at(2026, 3, 18, 12, 0))

    # then
    assert [(d.day.isoformat(), d.revenue, d.order_count) for d in daily] == [
        ("2026-03-16", Decimal("7.00"), 1),
        ("2026-03-17", Decimal("0.00"), 0),
        ("2026-03-18", Decimal("15.50"), 2),
    ]


@pytest.mark.django_db
def test_pipeline_holds_unpaid_and_paid_but_unshipped_open_orders():
    # given
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, total_amount=Decimal("10.00"))  # placed, unpaid
    OrderFactory(channel=web, total_amount=Decimal("20.00"), payment_status=Order.PaymentStatus.PARTIALLY_PAID)
    OrderFactory(
        channel=web,
        total_amount=Decimal("40.00"),
        status=Order.Status.PROCESSING,
        payment_status=Order.PaymentStatus.PAID,
    )
    # not in the pipeline: shipped, cancelled, completed, draft
    OrderFactory(
        channel=web,
        total_amount=Decimal("80.00"),
        payment_status=Order.PaymentStatus.PAID,
        fulfilment_status=Order.FulfilmentStatus.FULFILLED,
    )
    OrderFactory(channel=web, total_amount=Decimal("160.00"), status=Order.Status.CANCELLED)
    OrderFactory(channel=web, total_amount=Decimal("320.00"), status=Order.Status.COMPLETED)
    OrderFactory(channel=web, total_amount=Decimal("640.00"), status=Order.Status.DRAFT)

    # when
    pipeline = get_pipeline()

    # then
    assert (pipeline.unpaid_count, pipeline.unpaid_amount) == (2, Decimal("30.00"))
    assert (pipeline.unshipped_count, pipeline.unshipped_amount) == (1, Decimal("40.00"))


def line(order: Order, sku: str, quantity: int, total: str, name: str = "Mug") -> OrderLine:
    return OrderLine.objects.create(
        order=order,
        sku=sku,
        product_name=name,
        variant_name="Blue",
        quantity=quantity,
        unit_price_amount=Decimal(total) / quantity,
        tax_rate=Decimal("19"),
        line_total_amount=Decimal(total),
    )


@pytest.mark.django_db
def test_top_products_rank_skus_by_net_sales_of_the_last_30_days():
    # given
    web = ChannelFactory(code="web")
    now = at(2026, 3, 18, 12, 0)
    recent = OrderFactory(channel=web, placed_at=at(2026, 3, 10, 9, 0))
    older = OrderFactory(channel=web, placed_at=at(2026, 2, 17, 9, 0))  # 29 days before: inside
    too_old = OrderFactory(channel=web, placed_at=at(2026, 2, 16, 9, 0))
    cancelled = OrderFactory(channel=web, placed_at=at(2026, 3, 10, 9, 0), status=Order.Status.CANCELLED)
    line(recent, "MUG", 2, "20.00")
    line(older, "MUG", 1, "10.00")
    line(recent, "TEE", 1, "25.00", name="Tee")
    line(too_old, "CAP", 9, "900.00", name="Cap")
    line(cancelled, "HAT", 9, "900.00", name="Hat")

    # when
    top = list_top_products(now=now)

    # then
    assert [(p.sku, p.name, p.units, p.revenue) for p in top] == [
        ("MUG", "Mug Blue", 3, Decimal("30.00")),
        ("TEE", "Tee Blue", 1, Decimal("25.00")),
    ]


@pytest.mark.django_db
def test_the_day_clocks_go_forward_is_one_day_of_23_hours():
    # given: on 29 March 2026 Berlin moves from UTC+1 to UTC+2
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, placed_at=at(2026, 3, 29, 0, 30), total_amount=Decimal("1.00"))
    OrderFactory(channel=web, placed_at=at(2026, 3, 29, 23, 30), total_amount=Decimal("2.00"))
    OrderFactory(channel=web, placed_at=at(2026, 3, 30, 0, 15), total_amount=Decimal("4.00"))

    # when
    daily = list_daily_sales(days=2, now=at(2026, 3, 30, 12, 0))

    # then
    assert [(d.day.isoformat(), d.revenue) for d in daily] == [
        ("2026-03-29", Decimal("3.00")),
        ("2026-03-30", Decimal("4.00")),
    ]
