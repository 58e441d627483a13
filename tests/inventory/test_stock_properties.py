"""Property: whatever happens to stock, in whatever order, the books stay straight.

Hypothesis draws sequences of stock operations (receive, place an order, cancel it, ship
from it, transfer, adjust, count) over two variants at two locations, with quantities
that are sometimes nonsense. After every step the invariants hold: no level negative,
reserved within on hand, the ledger sums to on hand, the reservations sum to reserved,
and on hand and reserved are what a simple model of the operations predicts. A refusal
(``InventoryError``, ``OrderError``) is a legitimate step that must change nothing.

Each example runs in its own transaction, rolled back at the end, so it starts from fresh
rows and the examples are independent.
"""

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inventory.exceptions import InventoryError
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import list_stock_discrepancies
from inventory.services import (
    adjust_stock,
    consume_reserved_stock,
    count_stock,
    receive_stock,
    transfer_stock,
)
from orders.exceptions import OrderError
from orders.models import Order
from orders.services import LineInput, cancel_order, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, VariantFactory

VARIANTS = 2
LOCATIONS = 2
INITIAL_STOCK = 4

variant_ix = st.integers(0, VARIANTS - 1)
location_ix = st.integers(0, LOCATIONS - 1)
quantity = st.integers(-1, 6)  # 0 and -1 are refused

steps = st.one_of(
    st.tuples(st.just("receive"), variant_ix, location_ix, quantity),
    st.tuples(
        st.just("place"),
        st.lists(st.tuples(variant_ix, st.integers(0, 5)), min_size=1, max_size=2),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("consume"), st.integers(0, 20), st.integers(0, 1), location_ix, st.integers(0, 3)),
    st.tuples(st.just("transfer"), variant_ix, location_ix, location_ix, quantity),
    st.tuples(st.just("adjust"), variant_ix, location_ix, st.integers(-5, 5)),
    st.tuples(st.just("count"), variant_ix, location_ix, st.integers(-1, 10)),
)


@dataclass
class World:
    """The rows one example plays with, and the model of what the stock should be."""

    channel: object
    variants: list
    locations: list
    orders: list = field(default_factory=list)
    on_hand: dict = field(default_factory=dict)  # (variant ix, location ix) -> units
    reserved_by_line: dict = field(default_factory=dict)  # order line id -> units still reserved
    line_variant: dict = field(default_factory=dict)  # order line id -> variant ix

    @classmethod
    def create(cls) -> "World":
        channel = ChannelFactory()
        locations = [LocationFactory(code=f"loc-{i}", priority=i) for i in range(LOCATIONS)]
        for location in locations:
            location.channels.add(channel)
        # the second variant may be backordered, so placements also split into reserved + backordered
        variants = [VariantFactory(price__channel=channel, allow_backorder=i == 1) for i in range(VARIANTS)]
        for variant in variants:
            for location in locations:
                receive_stock(variant=variant, location=location, quantity=INITIAL_STOCK)
        world = cls(channel=channel, variants=variants, locations=locations)
        world.on_hand = {(v, loc): INITIAL_STOCK for v in range(VARIANTS) for loc in range(LOCATIONS)}
        return world

    def reserved_for(self, v: int) -> int:
        return sum(q for line_id, q in self.reserved_by_line.items() if self.line_variant[line_id] == v)


def snapshot() -> tuple:
    return (
        list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved")),
        list(Reservation.objects.order_by("pk").values_list("pk", "quantity")),
        StockMovement.objects.count(),
        list(Order.objects.order_by("pk").values_list("pk", "status")),
    )


def apply(world: World, step: tuple) -> str:
    """Run one step through the services and move the model along when it succeeds."""
    kind, *args = step
    v = world.variants
    loc = world.locations
    if kind == "receive":
        vi, li, q = args
        receive_stock(variant=v[vi], location=loc[li], quantity=q)
        world.on_hand[vi, li] += q
    elif kind == "place":
        order = place_order(channel=world.channel, lines=[LineInput(variant=v[vi], quantity=q) for vi, q in args[0]])
        world.orders.append(order)
        for line in order.lines.all():
            vi = next(i for i, variant in enumerate(v) if variant.pk == line.variant_id)
            world.line_variant[line.pk] = vi
            world.reserved_by_line[line.pk] = line.quantity - line.quantity_backordered
    elif kind == "cancel":
        if not world.orders:
            return "skipped"
        order = world.orders[args[0] % len(world.orders)]
        cancel_order(order=order)
        for line_id in order.lines.values_list("pk", flat=True):
            world.reserved_by_line[line_id] = 0
    elif kind == "consume":
        if not world.orders:
            return "skipped"
        order_ix, line_ix, li, q = args
        order = world.orders[order_ix % len(world.orders)]
        lines = list(order.lines.order_by("pk"))
        line = lines[line_ix % len(lines)]
        vi = world.line_variant[line.pk]
        # ship mostly from where the line holds stock (else from the drawn location, which is refused)
        held = list(line.reservations.order_by("pk").values_list("stock_level__location_id", flat=True))
        if held:
            li = next(i for i, location in enumerate(loc) if location.pk == held[li % len(held)])
        consume_reserved_stock(order_line_id=line.pk, location=loc[li], quantity=q)
        world.on_hand[vi, li] -= q
        world.reserved_by_line[line.pk] -= q
    elif kind == "transfer":
        vi, source, target, q = args
        transfer_stock(variant=v[vi], from_location=loc[source], to_location=loc[target], quantity=q)
        world.on_hand[vi, source] -= q
        world.on_hand[vi, target] += q
    elif kind == "adjust":
        vi, li, delta = args
        adjust_stock(variant=v[vi], location=loc[li], delta=delta, reason="property test")
        world.on_hand[vi, li] += delta
    elif kind == "count":
        vi, li, counted = args
        count_stock(variant=v[vi], location=loc[li], counted=counted)
        world.on_hand[vi, li] = counted
    return "done"


def assert_invariants(world: World) -> None:
    levels = {(lv.variant_id, lv.location_id): lv for lv in StockLevel.objects.all()}
    for (vi, li), expected in world.on_hand.items():
        level = levels[world.variants[vi].pk, world.locations[li].pk]
        assert level.on_hand >= 0
        assert 0 <= level.reserved <= level.on_hand
        assert level.on_hand == expected, f"on hand of variant {vi} at location {li}"
    for vi, variant in enumerate(world.variants):
        reserved = sum(lv.reserved for (variant_id, _), lv in levels.items() if variant_id == variant.pk)
        assert reserved == world.reserved_for(vi), f"reserved of variant {vi}"
    assert list_stock_discrepancies() == []


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(steps, min_size=1, max_size=25))
def test_any_sequence_of_stock_operations_keeps_the_books_straight(sequence):
    with transaction.atomic():
        # given fresh rows for this example
        world = World.create()
        for step in sequence:
            before = snapshot()
            # when
            try:
                outcome = apply(world, step)
            except (InventoryError, OrderError):
                # then a refusal changed nothing
                event(f"{step[0]} refused")
                assert snapshot() == before, f"refused {step} but changed something"
            else:
                event(f"{step[0]} {outcome}")
            # then the books are straight after every step
            assert_invariants(world)
        transaction.set_rollback(True)
