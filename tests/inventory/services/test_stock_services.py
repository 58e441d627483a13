"""Each stock service: what it changes, what the ledger says, and what it refuses."""

import pytest
from django.db.models import Sum

from inventory.exceptions import InsufficientStock, InvalidStockOperation
from inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from inventory.services import (
    ReservationRequest,
    adjust_stock,
    consume_reserved_stock,
    count_stock,
    receive_stock,
    release_reservations,
    reserve_stock,
    return_to_stock,
    transfer_stock,
)
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, VariantFactory
from tests.inventory.factories import LocationFactory, stocked_variant

pytestmark = pytest.mark.django_db


def _ledger(variant, location) -> int:
    return StockMovement.objects.filter(variant=variant, location=location).aggregate(s=Sum("quantity"))["s"] or 0


def _snapshot():
    return (
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        StockMovement.objects.count(),
        Reservation.objects.count(),
    )


@pytest.fixture
def warehouse():
    return LocationFactory(code="warehouse")


@pytest.fixture
def variant():
    return VariantFactory()


def test_receive_adds_on_hand_and_writes_the_ledger(variant, warehouse):
    level = receive_stock(variant=variant, location=warehouse, quantity=12, reason="PO 17")
    level = receive_stock(variant=variant, location=warehouse, quantity=3)
    assert level.on_hand == 15
    assert _ledger(variant, warehouse) == 15
    assert StockMovement.objects.filter(kind=MovementKind.RECEIPT, reason="PO 17").count() == 1


@pytest.mark.parametrize("quantity", [0, -3, 1.5, "2"])
def test_receive_refuses_quantities_that_are_not_positive_whole_numbers(variant, warehouse, quantity):
    before = _snapshot()
    with pytest.raises(InvalidStockOperation, match="whole number above zero"):
        receive_stock(variant=variant, location=warehouse, quantity=quantity)
    assert _snapshot() == before


def test_adjust_up_and_down_with_a_reason(variant, warehouse):
    receive_stock(variant=variant, location=warehouse, quantity=10)
    adjust_stock(variant=variant, location=warehouse, delta=-2, reason="damaged")
    level = adjust_stock(variant=variant, location=warehouse, delta=1, reason="found")
    assert level.on_hand == 9
    assert _ledger(variant, warehouse) == 9


def test_adjust_refuses_no_reason_zero_and_writing_off_reserved_stock(warehouse):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=4)])
    before = _snapshot()
    with pytest.raises(InvalidStockOperation, match="reason"):
        adjust_stock(variant=variant, location=warehouse, delta=-1, reason=" ")
    with pytest.raises(InvalidStockOperation, match="other than zero"):
        adjust_stock(variant=variant, location=warehouse, delta=0, reason="x")
    with pytest.raises(InsufficientStock, match="2 requested, 1 available"):
        adjust_stock(variant=variant, location=warehouse, delta=-2, reason="lost")
    assert _snapshot() == before


def test_count_sets_on_hand_and_records_the_difference(variant, warehouse):
    receive_stock(variant=variant, location=warehouse, quantity=10)
    level = count_stock(variant=variant, location=warehouse, counted=7)
    assert level.on_hand == 7
    movement = StockMovement.objects.get(kind=MovementKind.COUNT)
    assert movement.quantity == -3
    count_stock(variant=variant, location=warehouse, counted=7)  # no difference, no ledger row
    assert StockMovement.objects.filter(kind=MovementKind.COUNT).count() == 1


def test_count_refuses_below_reserved_and_negative(warehouse):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    before = _snapshot()
    with pytest.raises(InvalidStockOperation, match="3 are reserved"):
        count_stock(variant=variant, location=warehouse, counted=2)
    with pytest.raises(InvalidStockOperation, match="zero or more"):
        count_stock(variant=variant, location=warehouse, counted=-1)
    assert _snapshot() == before


def test_transfer_moves_unreserved_stock_with_two_ledger_rows(variant, warehouse):
    shop = LocationFactory(code="shop")
    receive_stock(variant=variant, location=warehouse, quantity=10)
    source, target = transfer_stock(variant=variant, from_location=warehouse, to_location=shop, quantity=4)
    assert (source.on_hand, target.on_hand) == (6, 4)
    assert (_ledger(variant, warehouse), _ledger(variant, shop)) == (6, 4)


def test_transfer_refuses_same_location_and_more_than_available(variant, warehouse):
    shop = LocationFactory(code="shop")
    receive_stock(variant=variant, location=warehouse, quantity=3)
    before = _snapshot()
    with pytest.raises(InvalidStockOperation, match="two different locations"):
        transfer_stock(variant=variant, from_location=warehouse, to_location=warehouse, quantity=1)
    with pytest.raises(InsufficientStock, match="4 requested, 3 available"):
        transfer_stock(variant=variant, from_location=warehouse, to_location=shop, quantity=4)
    after = _snapshot()
    # the refused transfer may have created the empty target level, but nothing moved
    assert after[1:] == before[1:]
    assert StockLevel.objects.get(variant=variant, location=warehouse).on_hand == 3
    assert not StockLevel.objects.filter(location=shop, on_hand__gt=0).exists()


def test_reserving_more_than_available_refuses_and_reserves_nothing(warehouse):
    channel = ChannelFactory()
    a = stocked_variant(channel=channel, location=warehouse, on_hand=5, sku="A")
    b = stocked_variant(channel=channel, location=warehouse, on_hand=1, sku="B")
    order = place_order(channel=channel, lines=[LineInput(variant=a, quantity=1)])
    line = order.lines.get()
    before = _snapshot()
    with pytest.raises(InsufficientStock) as refusal:
        reserve_stock(
            requests=[
                ReservationRequest(order_line_id=line.pk, variant_id=a.pk, sku="A", quantity=2),
                ReservationRequest(order_line_id=line.pk, variant_id=b.pk, sku="B", quantity=2),
            ],
            location_ids=[warehouse.pk],
        )
    assert [s.sku for s in refusal.value.shortages] == ["B"]
    assert _snapshot() == before


def test_release_gives_back_exactly_what_was_reserved(warehouse):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=4)])
    released = release_reservations(order_line_ids=[order.lines.get().pk])
    assert released == 4
    assert StockLevel.objects.get(variant=variant).reserved == 0
    assert release_reservations(order_line_ids=[order.lines.get().pk]) == 0  # twice is harmless


def test_consume_ships_reserved_stock_from_its_location(warehouse):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    line = order.lines.get()
    consume_reserved_stock(order_line_id=line.pk, location=warehouse, quantity=2)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (3, 1)
    assert line.reservations.get().quantity == 1
    assert StockMovement.objects.get(kind=MovementKind.SALE).order_line_id == line.pk
    assert _ledger(variant, warehouse) == 3


def test_consume_refuses_more_than_reserved_there(warehouse):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    shop = LocationFactory(code="shop")
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    line = order.lines.get()
    before = _snapshot()
    with pytest.raises(InvalidStockOperation, match="Only 2 reserved"):
        consume_reserved_stock(order_line_id=line.pk, location=warehouse, quantity=3)
    with pytest.raises(InvalidStockOperation, match="Only 0 reserved"):
        consume_reserved_stock(order_line_id=line.pk, location=shop, quantity=1)
    assert _snapshot() == before


def test_return_to_stock_adds_back_with_a_return_row(variant, warehouse):
    damaged = LocationFactory(code="damaged")
    level = return_to_stock(variant=variant, location=damaged, quantity=1, reason="torn seam")
    assert level.on_hand == 1
    assert StockMovement.objects.get().kind == MovementKind.RETURN
