"""``manage.py check_stock`` finds every way the stock tables can disagree, and only those."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from inventory.models import Reservation, StockLevel
from inventory.selectors import list_stock_discrepancies
from orders.models import Order
from orders.services import LineInput, cancel_order, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

pytestmark = pytest.mark.django_db


def run_check_stock() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_stock", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_clean_stock_passes_with_the_number_of_levels_checked():
    # given stock received, an order placed and another cancelled, all through the services
    channel = ChannelFactory()
    shirt = stocked_variant(channel=channel, on_hand=5)
    mug = stocked_variant(channel=channel, on_hand=3)
    place_order(channel=channel, lines=[LineInput(variant=shirt, quantity=2), LineInput(variant=mug, quantity=1)])
    cancel_order(order=place_order(channel=channel, lines=[LineInput(variant=mug, quantity=2)]))
    # when
    code, output = run_check_stock()
    # then
    assert code == 0
    assert "Stock is consistent: 2 levels checked" in output
    assert list_stock_discrepancies() == []


def test_a_level_changed_behind_the_ledgers_back_is_reported_with_its_sku():
    # given
    channel = ChannelFactory()
    good = stocked_variant(channel=channel, on_hand=5)
    bad = stocked_variant(channel=channel, on_hand=5)
    level = StockLevel.objects.get(variant=bad)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {StockLevel._meta.db_table} SET on_hand = 7 WHERE id = %s", [level.pk])
    # when
    code, output = run_check_stock()
    # then
    assert code == 1
    assert bad.sku in output
    assert good.sku not in output
    assert "on hand ≠ ledger" in output
    [discrepancy] = list_stock_discrepancies()
    assert (discrepancy.sku, discrepancy.recorded, discrepancy.expected) == (bad.sku, 7, 5)


def test_reserved_that_does_not_match_the_reservations_is_reported():
    # given an order holding 2, and a level that claims 3 reserved
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    StockLevel.objects.filter(variant=variant).update(reserved=3)
    # when
    code, output = run_check_stock()
    # then
    assert code == 1
    [discrepancy] = list_stock_discrepancies()
    assert (discrepancy.sku, discrepancy.recorded, discrepancy.expected) == (variant.sku, 3, 2)
    assert "reserved ≠ reservations" in output


def test_a_reservation_left_on_a_cancelled_order_is_reported():
    # given an order cancelled without going through cancel_order: its stock stays reserved
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    # when
    code, output = run_check_stock()
    # then
    assert code == 1
    assert "reservation on a closed order" in output
    assert variant.sku in output
    assert order.number in output
    [discrepancy] = list_stock_discrepancies()
    assert discrepancy.recorded == Reservation.objects.get(order_line__order=order).quantity == 2


def test_a_ledger_row_without_a_level_is_reported():
    # given a level removed (with its reservations gone) while its ledger remains
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=4)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {StockLevel._meta.db_table} WHERE variant_id = %s", [variant.pk])
    # when
    code, output = run_check_stock()
    # then
    assert code == 1
    assert "ledger without a stock level" in output
    assert variant.sku in output
