"""The dashboard's closed days kept in the cache: right after any change, live for today."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderLine
from orders.selectors import (
    figure_windows,
    get_dashboard_figures,
    list_daily_sales,
    list_top_products,
    load_sales_days,
    period_windows,
)
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.django_db


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.STORE_CURRENCY = "EUR"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}


def order(placed_at: datetime, total: str, **kwargs) -> Order:
    placed = OrderFactory(placed_at=placed_at, total_amount=Decimal(total), currency="EUR", **kwargs)
    OrderLine.objects.create(
        order=placed,
        sku=kwargs.get("number", "MUG"),
        product_name="Mug",
        variant_name="Blue",
        quantity=1,
        unit_price_amount=Decimal(total),
        tax_rate=Decimal("19"),
        line_total_amount=Decimal(total),
    )
    return placed


def everything() -> tuple:
    figures = get_dashboard_figures(now=NOW)
    daily = list_daily_sales(days=30, now=NOW)
    top = list_top_products(now=NOW)
    return (
        [(p.key, p.current.revenue, p.current.order_count, p.previous.revenue) for p in figures.periods],
        [(c.channel.code, c.month.revenue, c.month_previous.revenue) for c in figures.by_channel],
        [(d.day, d.revenue, d.order_count) for d in daily],
        [(p.sku, p.units, p.revenue) for p in top],
    )


@pytest.fixture
def shop():
    web = ChannelFactory(code="web")
    order(at(2026, 3, 2, 10, 0), "100.00", channel=web)
    order(at(2026, 3, 17, 9, 0), "40.00", channel=web)  # yesterday, before now's time of day
    order(at(2026, 3, 17, 15, 0), "60.00", channel=web)  # yesterday, after it
    order(at(2026, 2, 18, 11, 0), "30.00", channel=web)  # last month, same stretch
    order(at(2026, 3, 18, 9, 0), "25.00", channel=web)  # today
    return web


def test_a_second_load_from_the_cache_gives_the_same_figures_as_the_first(shop):
    # given
    first = everything()

    # when
    second = everything()

    # then
    assert second == first
    periods = first[0]
    assert periods == [
        ("today", Decimal("25.00"), 1, Decimal("40.00")),
        ("week", Decimal("125.00"), 3, Decimal("0")),
        ("month", Decimal("225.00"), 4, Decimal("30.00")),
    ]


def test_a_past_order_cancelled_after_a_load_leaves_every_figure(shop):
    # given: the closed days are cached
    everything()
    past = Order.objects.get(placed_at=at(2026, 3, 2, 10, 0))

    # when: cancelled through a save, as every service does (it bumps updated_at)
    past.status = Order.Status.CANCELLED
    past.save()
    figures, _channels, daily, top = everything()

    # then
    assert figures[2] == ("month", Decimal("125.00"), 3, Decimal("30.00"))
    assert (at(2026, 3, 2).date(), Decimal("0"), 0) in daily
    assert ("MUG", 4, Decimal("155.00")) in top


def test_a_past_order_edited_after_a_load_changes_the_sums(shop):
    # given
    everything()
    past = Order.objects.get(placed_at=at(2026, 3, 2, 10, 0))

    # when: its total raised (an edit recomputes the totals and saves the order)
    past.total_amount = Decimal("150.00")
    past.save()
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.period("month").current.revenue == Decimal("275.00")


def test_an_order_placed_today_moves_the_figures_and_the_series_at_once(shop):
    # given
    everything()

    # when
    order(at(2026, 3, 18, 11, 0), "75.00", channel=shop)
    figures, _channels, daily, top = everything()

    # then
    assert figures[0] == ("today", Decimal("100.00"), 2, Decimal("40.00"))
    assert daily[-1] == (NOW.date(), Decimal("100.00"), 2)
    assert ("MUG", 6, Decimal("330.00")) in top


def test_a_cached_load_costs_the_same_queries_as_a_cold_one(shop):
    # given
    windows = figure_windows(period_windows(now=NOW, compare="previous"))
    with CaptureQueriesContext(connection) as cold:
        load_sales_days(now=NOW, windows=windows, series_days=90)

    # when
    with CaptureQueriesContext(connection) as warm:
        sales = load_sales_days(now=NOW, windows=windows, series_days=90)

    # then: the channels (with the cache key) and one query of sums, cached or not
    assert len(cold.captured_queries) == len(warm.captured_queries) == 2
    assert sales.day_total(at(2026, 3, 2).date()).revenue == Decimal("100.00")


def test_orders_in_another_currency_are_counted_apart_from_closed_days_too(shop):
    # given
    OrderFactory(channel=shop, placed_at=at(2026, 3, 5, 10, 0), total_amount=Decimal("99.00"), currency="GBP")
    get_dashboard_figures(now=NOW)

    # when
    figures = get_dashboard_figures(now=NOW)

    # then
    assert figures.other_currency_count == 1
    assert figures.period("month").current.revenue == Decimal("225.00")


def test_without_a_reachable_cache_the_figures_are_summed_from_the_database(shop, monkeypatch):
    # given
    expected = everything()

    class Unreachable:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr("orders.selectors.dashboard_closed.cache", Unreachable())

    # when
    figures = everything()

    # then
    assert figures == expected
