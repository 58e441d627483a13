"""The dashboard's closed days kept in the cache: right after any change, live for today."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, OrderLine
from orders.selectors import (
    figure_windows,
    get_dashboard_figures,
    list_daily_sales,
    list_top_products,
    load_sales_days,
    period_windows,
    warm_dashboard_sums,
)
from orders.tasks import warm_dashboard
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
    from django.core.cache import cache

    cache.clear()  # a locmem cache lives as long as the process: nothing from another test's rows


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

    # then: the channels, the recent changes and one query of sums, cached or not
    assert len(cold.captured_queries) == len(warm.captured_queries) == 3
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

        set = delete_many = get

    monkeypatch.setattr("orders.selectors.dashboard_closed.cache", Unreachable())

    # when
    figures = everything()

    # then
    assert figures == expected


def settled(hours: int = 2) -> None:
    """Every order last changed ``hours`` ago, as in a shop whose past days are quiet."""
    Order.objects.update(updated_at=timezone.now() - timedelta(hours=hours))


def unseen_total(placed_at: datetime, total: str) -> None:
    """Change an order's total without bumping ``updated_at``: only a recomputation can show it."""
    Order.objects.filter(placed_at=placed_at).update(total_amount=Decimal(total))


def month_revenue() -> Decimal:
    return get_dashboard_figures(now=NOW).period("month").current.revenue


def test_a_quiet_closed_day_is_read_from_the_cache(shop):
    # given: the past is quiet and its days are cached
    settled()
    assert month_revenue() == Decimal("225.00")

    # when: a past total changes behind the services' back (updated_at untouched)
    unseen_total(at(2026, 3, 2, 10, 0), "900.00")

    # then: the cached day answers (so the cache is really read)
    assert month_revenue() == Decimal("225.00")


def test_a_change_to_a_past_order_sums_only_its_own_day_again(shop):
    # given
    settled()
    everything()
    unseen_total(at(2026, 3, 2, 10, 0), "900.00")  # a day the cache still holds

    # when: an order of another past day changes through a save
    changed = Order.objects.get(placed_at=at(2026, 3, 17, 15, 0))
    changed.total_amount = Decimal("70.00")
    changed.save()
    figures, _channels, daily, _top = everything()

    # then: its day is summed again, the untouched day still comes from the cache
    assert (at(2026, 3, 17).date(), Decimal("110.00"), 2) in daily
    assert (at(2026, 3, 2).date(), Decimal("100.00"), 1) in daily
    assert figures[2] == ("month", Decimal("235.00"), 4, Decimal("30.00"))


def test_a_day_changed_moments_before_its_entry_is_not_trusted_yet(shop):
    # given: a past order saved ten minutes ago, perhaps by a transaction still open when the day was summed
    settled()
    Order.objects.filter(placed_at=at(2026, 3, 2, 10, 0)).update(updated_at=timezone.now() - timedelta(minutes=10))
    month_revenue()

    # when: what that transaction wrote becomes visible later
    unseen_total(at(2026, 3, 2, 10, 0), "150.00")

    # then: the day is summed again rather than read from the cache
    assert month_revenue() == Decimal("275.00")


def test_an_entry_is_summed_again_once_its_life_is_over(shop):
    # given
    settled()
    month_revenue()
    unseen_total(at(2026, 3, 2, 10, 0), "150.00")

    # when: a day and an hour later
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        revenue = month_revenue()

    # then
    assert revenue == Decimal("275.00")


def test_the_top_products_of_a_quiet_day_come_from_the_cache_and_a_changed_day_is_summed_again(shop):
    # given
    settled()
    list_top_products(now=NOW)
    OrderLine.objects.filter(order__placed_at=at(2026, 3, 2, 10, 0)).update(quantity=5)

    # when: nothing bumped that day, then an order of it is saved
    quiet = {p.sku: p.units for p in list_top_products(now=NOW)}
    Order.objects.get(placed_at=at(2026, 3, 2, 10, 0)).save()
    changed = {p.sku: p.units for p in list_top_products(now=NOW)}

    # then
    assert quiet == {"MUG": 5}
    assert changed == {"MUG": 9}


def test_the_warming_task_leaves_the_closed_days_cached_for_the_next_load(shop, settings):
    # given: a quiet past, nothing cached yet
    settled()

    # when: the beat task's work runs (at the shop's now), then a past total changes behind the services' back
    assert warm_dashboard.delay().get() == 90
    warm_dashboard_sums(now=NOW)
    unseen_total(at(2026, 3, 2, 10, 0), "900.00")

    # then: the next load reads the days the task summed, and the task is on the schedule
    assert month_revenue() == Decimal("225.00")
    assert settings.CELERY_BEAT_SCHEDULE["orders-warm-dashboard"]["task"] == "orders.tasks.warm_dashboard"


def test_a_day_leaving_the_window_at_midnight_is_taken_out_of_the_cached_total(shop):
    # given: the top products cached on the 18th (the window reaches back to 17 February)
    settled()
    assert {p.sku: p.units for p in list_top_products(now=NOW)} == {"MUG": 5}

    # when: two days later the 18 February order has left the 30 days, and the 18th is closed
    later = {p.sku: p.units for p in list_top_products(now=NOW + timedelta(days=2))}

    # then
    assert later == {"MUG": 4}


def test_a_changed_day_is_taken_out_of_the_cached_total_and_added_again(shop):
    # given
    settled()
    list_top_products(now=NOW)
    unseen_total(at(2026, 3, 2, 10, 0), "900.00")  # a quiet day: its cached sums stay

    # when: another day's order line changes through its order's save
    changed = Order.objects.get(placed_at=at(2026, 3, 17, 9, 0))
    OrderLine.objects.filter(order=changed).update(quantity=3, line_total_amount=Decimal("120.00"))
    changed.save()
    top = {p.sku: (p.units, p.revenue) for p in list_top_products(now=NOW)}

    # then: 17 March counted anew (3 + 1 units), the other days as cached
    assert top == {"MUG": (7, Decimal("335.00"))}
