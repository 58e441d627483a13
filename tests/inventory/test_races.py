"""Races made deterministic: a competitor takes stock between the check and the reservation.

``reserve_stock`` reads what is available, then calls ``_between_check_and_reserve`` (a
no-op seam), then takes it with a guarded UPDATE. Patching the seam to place a competing
order at exactly that moment reproduces the worst interleaving on every database. On
SQLite the competitor runs in the same connection (nested in the first placement's
transaction), which is enough to prove the point: the guarded UPDATE re-checks, it does
not trust what was read. The last test runs the competitor on its own connection on
PostgreSQL, where it commits while the first transaction is still open.
"""

import threading
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Sum

from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from inventory.selectors import list_stock_discrepancies
from inventory.services import receive_stock
from orders.models import Order
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant

SEAM = "inventory.services._between_check_and_reserve"


def competitor_at_the_seam(action):
    """A seam replacement that runs ``action`` once, the first time availability has been read.

    The competitor's own placement goes through the seam too; it must not fire again."""
    state = {"fired": False, "result": None}

    def seam() -> None:
        if state["fired"]:
            return
        state["fired"] = True
        state["result"] = action()

    return seam, state


def assert_stock_consistent() -> None:
    assert list_stock_discrepancies() == []
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    call_command("check_stock", stdout=StringIO())  # raises CommandError unless clean


@pytest.mark.django_db
def test_competitor_takes_the_last_units_between_check_and_reserve_the_first_is_refused():
    # given 5 on hand; the first order wants all 5, the competitor takes 3 after the check
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    seam, state = competitor_at_the_seam(
        lambda: place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    )
    # when
    with patch(SEAM, side_effect=seam), pytest.raises(InsufficientStock) as refused:
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=5)])
    # then the competitor did run, and the re-check saw what it had taken: 2, not the 5 read before
    assert state["fired"]
    assert isinstance(state["result"], Order)
    [shortage] = refused.value.shortages
    assert (shortage.sku, shortage.requested, shortage.available) == (variant.sku, 5, 2)
    # and the refusal rolled back everything of the first placement (here, with the nested competitor)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (5, 0)
    assert not Order.objects.exists()
    assert_stock_consistent()


@pytest.mark.django_db
def test_competitor_between_check_and_reserve_leaves_a_backorder_not_an_oversell():
    # given a variant that may be backordered: the first order takes what is left, the rest waits
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5, allow_backorder=True)
    seam, state = competitor_at_the_seam(
        lambda: place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    )
    # when
    with patch(SEAM, side_effect=seam):
        first = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=5)])
    # then both orders stand; together they reserve exactly what is on hand
    competitor = state["result"]
    first_line, competitor_line = first.lines.get(), competitor.lines.get()
    assert (first_line.quantity, first_line.quantity_backordered) == (5, 3)
    assert competitor_line.quantity_backordered == 0
    assert Reservation.objects.get(order_line=first_line).quantity == 2
    assert Reservation.objects.get(order_line=competitor_line).quantity == 3
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (5, 5)
    assert_stock_consistent()


@pytest.mark.django_db
def test_competitor_empties_the_first_location_the_order_is_served_from_the_next():
    # given 3 at the store (first by priority) and 5 in the warehouse
    channel = ChannelFactory()
    store = LocationFactory(code="store", priority=1)
    warehouse = LocationFactory(code="warehouse", priority=2)
    variant = stocked_variant(channel=channel, location=store, on_hand=3)
    warehouse.channels.add(channel)
    receive_stock(variant=variant, location=warehouse, quantity=5)
    seam, state = competitor_at_the_seam(
        lambda: place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    )
    # when the competitor takes the store's 3 after the first order read "3 at the store"
    with patch(SEAM, side_effect=seam):
        first = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    # then the first order is served from the warehouse, and nothing is promised twice
    assert state["fired"]
    assert list(Reservation.objects.filter(order_line__order=first).values_list("stock_level__location__code")) == [
        ("warehouse",)
    ]
    assert StockLevel.objects.get(variant=variant, location=store).reserved == 3
    assert StockLevel.objects.get(variant=variant, location=warehouse).reserved == 3
    assert_stock_consistent()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("on_hand", "both_fit"),
    [(4, True), (3, False)],
    ids=["enough-for-both", "enough-for-one"],
)
def test_two_orders_take_the_same_two_skus_in_opposite_order(on_hand, both_fit):
    # given two SKUs; the first order lists A then B, the competitor B then A, each wants 2 of both
    channel = ChannelFactory()
    a = stocked_variant(channel=channel, on_hand=on_hand)
    b = stocked_variant(channel=channel, on_hand=on_hand)
    seam, state = competitor_at_the_seam(
        lambda: place_order(channel=channel, lines=[LineInput(variant=b, quantity=2), LineInput(variant=a, quantity=2)])
    )
    # when the competitor runs after the first order has read A's availability
    with patch(SEAM, side_effect=seam):
        try:
            first = place_order(
                channel=channel, lines=[LineInput(variant=a, quantity=2), LineInput(variant=b, quantity=2)]
            )
        except InsufficientStock as exc:
            first, refusal = None, exc
    # then either both stand or the first is refused naming both SKUs, and the counts agree
    assert state["fired"]
    reserved = {level.variant_id: level.reserved for level in StockLevel.objects.all()}
    if both_fit:
        assert first is not None
        assert reserved == {a.pk: 4, b.pk: 4}
        assert Order.objects.filter(status=Order.Status.PLACED).count() == 2
    else:
        assert first is None
        assert sorted(s.sku for s in refusal.shortages) == sorted([a.sku, b.sku])
        assert all(s.available == 1 for s in refusal.shortages)
        # nested in the refused transaction on one connection, the competitor went with it
        assert reserved == {a.pk: 0, b.pk: 0}
    assert_stock_consistent()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_competitor_on_its_own_connection_commits_first_and_the_first_is_refused():
    # given 5 on hand, committed
    assert connection.vendor == "postgresql"
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    outcome: dict[str, object] = {}

    def competitor() -> None:
        try:
            outcome["order"] = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    def run_competitor_in_another_transaction() -> None:
        thread = threading.Thread(target=competitor)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the competitor waited on a lock the first order should not hold yet"

    seam, state = competitor_at_the_seam(run_competitor_in_another_transaction)
    # when the competitor commits between the first order's check and its reservation
    with patch(SEAM, side_effect=seam), pytest.raises(InsufficientStock) as refused:
        place_order(channel=channel, lines=[LineInput(variant=variant, quantity=5)])
    # then the competitor's order stands and the first is refused with what was really left
    assert "error" not in outcome, outcome.get("error")
    assert state["fired"]
    [shortage] = refused.value.shortages
    assert shortage.available == 2
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (5, 3)
    assert Order.objects.get().pk == outcome["order"].pk
    assert Reservation.objects.aggregate(total=Sum("quantity"))["total"] == 3
    assert_stock_consistent()
