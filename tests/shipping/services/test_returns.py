from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Location, MovementKind, StockLevel, StockMovement
from shipping.exceptions import ShippingError
from shipping.models import Return, ReturnStatus
from shipping.services import (
    create_return,
    create_shipment,
    mark_shipped,
    receive_return,
    record_tracking_event,
    returnable_quantities,
    suggested_refund_amount,
)
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(warehouse):
    order = placed_order(quantities=(3, 1), location=warehouse)
    first, _second = order.lines.all()
    shipment = mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(first, 3)]))
    record_tracking_event(shipment=shipment, status="delivered", occurred_at=timezone.now())
    return order


def test_only_delivered_units_can_be_returned(delivered):
    # given
    first, second = delivered.lines.all()
    # then
    assert returnable_quantities(order=delivered) == {first.pk: 3}
    with pytest.raises(ShippingError, match="only 0 delivered"):
        create_return(order=delivered, lines=[(second, 1, "sellable")], reason="other")
    assert not Return.objects.exists()


def test_more_than_delivered_minus_returned_is_refused(delivered):
    first = delivered.lines.first()
    create_return(order=delivered, lines=[(first, 2, "sellable")], reason="no_longer_needed")
    with pytest.raises(ShippingError, match="only 1"):
        create_return(order=delivered, lines=[(first, 2, "sellable")], reason="no_longer_needed")
    assert Return.objects.count() == 1


def test_no_reason_or_nothing_chosen_is_refused(delivered):
    first = delivered.lines.first()
    with pytest.raises(ShippingError):
        create_return(order=delivered, lines=[(first, 1, "sellable")], reason="")
    with pytest.raises(ShippingError):
        create_return(order=delivered, lines=[(first, 0, "sellable")], reason="other")
    assert not Return.objects.exists()


def test_receiving_puts_sellable_back_on_the_shelf_and_damaged_aside(delivered, warehouse):
    # given
    damaged = LocationFactory(code="damaged", name="Damaged", kind=Location.Kind.DAMAGED)
    first = delivered.lines.first()
    sellable = create_return(order=delivered, lines=[(first, 2, "sellable")], reason="no_longer_needed")
    broken = create_return(order=delivered, lines=[(first, 1, "damaged")], reason="damaged")
    on_hand_before = StockLevel.objects.get(variant=first.variant, location=warehouse).on_hand
    # when
    receive_return(return_request=sellable, location=warehouse)
    receive_return(return_request=broken, location=warehouse)
    # then
    assert StockLevel.objects.get(variant=first.variant, location=warehouse).on_hand == on_hand_before + 2
    assert StockLevel.objects.get(variant=first.variant, location=damaged).on_hand == 1
    movements = StockMovement.objects.filter(order_line=first, kind=MovementKind.RETURN)
    assert sorted(movements.values_list("quantity", flat=True)) == [1, 2]
    sellable.refresh_from_db()
    assert sellable.status == ReturnStatus.RECEIVED and sellable.received_at is not None


def test_receiving_twice_is_refused_and_books_nothing_more(delivered, warehouse):
    first = delivered.lines.first()
    request = create_return(order=delivered, lines=[(first, 1, "sellable")], reason="other")
    receive_return(return_request=request, location=warehouse)
    with pytest.raises(ShippingError, match="already"):
        receive_return(return_request=request, location=warehouse)
    assert StockMovement.objects.filter(kind=MovementKind.RETURN).count() == 1


def test_damaged_items_without_a_damaged_location_are_refused(delivered, warehouse):
    first = delivered.lines.first()
    request = create_return(order=delivered, lines=[(first, 1, "damaged")], reason="damaged")
    with pytest.raises(ShippingError, match="damaged-goods location"):
        receive_return(return_request=request, location=warehouse)
    request.refresh_from_db()
    assert request.status == ReturnStatus.REQUESTED
    assert not StockMovement.objects.filter(kind=MovementKind.RETURN).exists()


def test_suggested_refund_is_the_gross_value_of_the_returned_units(delivered):
    first = delivered.lines.first()
    request = create_return(order=delivered, lines=[(first, 2, "sellable")], reason="other")
    expected = (first.unit_price_amount * 2 * (1 + first.tax_rate / Decimal(100))).quantize(Decimal("0.01"))
    assert suggested_refund_amount(return_request=request) == expected
