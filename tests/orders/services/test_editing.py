from decimal import Decimal

import pytest

from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from inventory.services import consume_reserved_stock
from orders.exceptions import InvalidOrder, InvalidTransition
from orders.models import Order, OrderEvent
from orders.services import LineInput, OrderChanges, cancel_order, edit_order_lines, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    channel = ChannelFactory(code="phone")
    shirt = stocked_variant(channel=channel, on_hand=5, price=Decimal("20.00"))
    mug = stocked_variant(channel=channel, on_hand=3, price=Decimal("8.50"))
    order = place_order(
        channel=channel,
        customer=CustomerFactory(),
        lines=[LineInput(variant=shirt, quantity=2), LineInput(variant=mug, quantity=1)],
    )
    return {"channel": channel, "shirt": shirt, "mug": mug, "order": order, "by": UserFactory(role="Staff")}


def _line(order, variant):
    return order.lines.get(variant=variant)


def test_changing_quantities_and_adding_a_line_re_reserves_and_recomputes(setup):
    # given
    order, shirt, mug = setup["order"], setup["shirt"], setup["mug"]
    cap = stocked_variant(channel=setup["channel"], on_hand=4, price=Decimal("12.00"))
    # when: 3 shirts instead of 2, the mug removed, a cap added
    result = edit_order_lines(
        order=order,
        changes=OrderChanges(
            quantities={_line(order, shirt).pk: 3, _line(order, mug).pk: 0},
            add=[LineInput(variant=cap, quantity=1)],
        ),
        by=setup["by"],
    )
    # then
    order = result.order
    assert result.changed
    assert {line.sku: line.quantity for line in order.lines.all()} == {shirt.sku: 3, cap.sku: 1}
    assert order.subtotal_amount == Decimal("72.00")
    assert order.total_amount == Decimal("85.68")  # 72.00 + 13.68 VAT
    assert StockLevel.objects.get(variant=shirt).reserved == 3
    assert StockLevel.objects.get(variant=mug).reserved == 0
    assert StockLevel.objects.get(variant=cap).reserved == 1
    assert result.balance_due == Decimal("85.68")
    edits = list(order.events.filter(kind=OrderEvent.Kind.EDITED).values_list("message", flat=True))
    assert any(shirt.sku in m and "2 → 3" in m for m in edits)
    assert any("Removed" in m and mug.sku in m for m in edits)
    assert any("Added" in m and cap.sku in m for m in edits)


def test_short_stock_refuses_the_whole_edit_and_changes_nothing(setup):
    # given
    order, shirt, mug = setup["order"], setup["shirt"], setup["mug"]
    before_total = order.total_amount
    # when: 6 shirts (5 in stock) and 2 mugs (fine)
    with pytest.raises(InsufficientStock) as refused:
        edit_order_lines(
            order=order,
            changes=OrderChanges(quantities={_line(order, shirt).pk: 6, _line(order, mug).pk: 2}),
            by=setup["by"],
        )
    # then
    assert [s.sku for s in refused.value.shortages] == [shirt.sku]
    order.refresh_from_db()
    assert order.total_amount == before_total
    assert _line(order, shirt).quantity == 2
    assert _line(order, mug).quantity == 1
    assert StockLevel.objects.get(variant=shirt).reserved == 2
    assert StockLevel.objects.get(variant=mug).reserved == 1
    assert Reservation.objects.filter(order_line__order=order).count() == 2
    assert not order.events.filter(kind__in=[OrderEvent.Kind.NOTE, OrderEvent.Kind.EDITED]).exists()


def test_a_shipped_quantity_cannot_be_taken_off(setup):
    # given two shirts, one already taken off the shelf by shipping
    order, shirt = setup["order"], setup["shirt"]
    line = _line(order, shirt)
    consume_reserved_stock(order_line_id=line.pk, location=LocationFactory(), quantity=1)
    # when / then
    with pytest.raises(InvalidOrder, match="1 shipped"):
        edit_order_lines(order=order, changes=OrderChanges(quantities={line.pk: 0}), by=setup["by"])
    line.refresh_from_db()
    assert line.quantity == 2


def test_a_partly_shipped_line_can_grow_and_only_the_rest_is_reserved(setup):
    order, shirt = setup["order"], setup["shirt"]
    line = _line(order, shirt)
    consume_reserved_stock(order_line_id=line.pk, location=LocationFactory(), quantity=1)
    edit_order_lines(order=order, changes=OrderChanges(quantities={line.pk: 3}), by=setup["by"])
    level = StockLevel.objects.get(variant=shirt)
    assert (level.on_hand, level.reserved) == (4, 2)


def test_cancelled_orders_cannot_be_edited(setup):
    order = cancel_order(order=setup["order"], by=setup["by"])
    with pytest.raises(InvalidTransition):
        edit_order_lines(
            order=order, changes=OrderChanges(quantities={_line(order, setup["shirt"]).pk: 1}), by=setup["by"]
        )


def test_shipping_changes_are_recorded_and_the_refund_owed_is_reported(setup):
    # given an order paid in full
    order = setup["order"]
    order.payments.create(method="cash", amount=order.total_amount, currency="EUR")
    # when one shirt is dropped
    result = edit_order_lines(
        order=order,
        changes=OrderChanges(
            quantities={_line(order, setup["shirt"]).pk: 1},
            shipping_address={"name": "New", "line1": "Neue Str. 1", "postal_code": "1", "city": "X", "country": "DE"},
        ),
        by=setup["by"],
    )
    # then
    assert result.refund_owed == Decimal("23.80")  # 20.00 + 19 %
    assert result.order.shipping_address["line1"] == "Neue Str. 1"
    assert Order.objects.get(pk=order.pk).shipping_address["line1"] == "Neue Str. 1"


def test_an_edit_without_change_writes_nothing(setup):
    order = setup["order"]
    result = edit_order_lines(
        order=order, changes=OrderChanges(quantities={_line(order, setup["shirt"]).pk: 2}), by=setup["by"]
    )
    assert not result.changed
    assert not order.events.filter(kind__in=[OrderEvent.Kind.NOTE, OrderEvent.Kind.EDITED]).exists()
