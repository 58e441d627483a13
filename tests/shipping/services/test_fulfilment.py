from datetime import timedelta
from unittest.mock import patch

import pytest
from django.utils import timezone

from inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from orders.models import FulfilmentStatus, Order, OrderStatus
from orders.services import cancel_order
from shipping.exceptions import InvalidShipmentTransition, NotShippable, ShippingError
from shipping.models import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent
from shipping.services import (
    create_shipment,
    hand_over_at_counter,
    mark_picked_up,
    mark_ready_for_pickup,
    mark_shipped,
    quantities_to_ship,
    record_tracking_event,
)
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import pay, placed_order

pytestmark = pytest.mark.django_db


def _level(line, location):
    return StockLevel.objects.get(variant=line.variant, location=location)


def _ship_all(order, location, by=None, tracking_number=""):
    shipment = create_shipment(order=order, location=location, lines=[(ln, ln.quantity) for ln in order.lines.all()])
    return mark_shipped(shipment=shipment, by=by, carrier="DHL", tracking_number=tracking_number)


# --- create_shipment --------------------------------------------------------------------


def test_create_shipment_with_part_of_the_lines_leaves_the_rest_to_ship(warehouse, staff):
    # given
    order = placed_order(quantities=(3, 2), location=warehouse)
    first, second = order.lines.all()
    # when
    shipment = create_shipment(order=order, location=warehouse, lines=[(first, 2)], by=staff)
    # then
    assert shipment.status == ShipmentStatus.PENDING
    assert list(shipment.lines.values_list("order_line_id", "quantity")) == [(first.pk, 2)]
    assert quantities_to_ship(order=order) == {first.pk: 1, second.pk: 2}
    assert shipment.created_by == staff
    assert order.events.filter(kind="shipment").exists()


def test_more_than_left_to_ship_is_refused_and_changes_nothing(warehouse):
    # given
    order = placed_order(quantities=(3,), location=warehouse)
    line = order.lines.get()
    create_shipment(order=order, location=warehouse, lines=[(line, 2)])
    # when / then
    with pytest.raises(NotShippable, match="only 1 left"):
        create_shipment(order=order, location=warehouse, lines=[(line, 2)])
    assert Shipment.objects.filter(order=order).count() == 1


def test_more_than_ordered_is_refused(warehouse):
    order = placed_order(quantities=(3,), location=warehouse)
    with pytest.raises(NotShippable):
        create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 4)])
    assert not Shipment.objects.exists()


def test_nothing_chosen_is_refused(warehouse):
    order = placed_order(quantities=(3,), location=warehouse)
    with pytest.raises(NotShippable, match="at least one"):
        create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 0)])
    assert not Shipment.objects.exists()


def test_a_line_of_another_order_is_refused(warehouse):
    order, other = placed_order(location=warehouse), placed_order(location=warehouse)
    with pytest.raises(NotShippable):
        create_shipment(order=order, location=warehouse, lines=[(other.lines.get(), 1)])
    assert not Shipment.objects.exists()


def test_location_without_the_reserved_stock_is_refused(warehouse):
    # given the stock is reserved at the warehouse, not at the shop
    order = placed_order(quantities=(2,), location=warehouse)
    shop = LocationFactory(code="shop")
    # when / then
    with pytest.raises(NotShippable, match="reserved at Shop"):
        create_shipment(order=order, location=shop, lines=[(order.lines.get(), 2)])
    assert not Shipment.objects.exists()


def test_cancelled_order_is_refused(warehouse):
    order = placed_order(location=warehouse)
    order = cancel_order(order=order)
    with pytest.raises(NotShippable, match="Cancelled"):
        create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    assert not Shipment.objects.exists()


def test_draft_order_is_refused(warehouse):
    order = placed_order(location=warehouse)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DRAFT)
    order.refresh_from_db()
    with pytest.raises(NotShippable):
        create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    assert not Shipment.objects.exists()


def test_order_that_needs_review_is_refused_until_approved(warehouse):
    # given
    order = placed_order(location=warehouse)
    Order.objects.filter(pk=order.pk).update(needs_review=True)
    # when / then
    with pytest.raises(NotShippable, match="needs review"):
        create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    assert not Shipment.objects.exists()
    Order.objects.filter(pk=order.pk).update(needs_review=False)
    assert create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)]).pk


# --- shipping: stock, ledger, fulfilment ------------------------------------------------------


def test_mark_shipped_consumes_reserved_stock_and_writes_the_ledger(warehouse, staff):
    # given
    order = placed_order(quantities=(3,), on_hand=10, location=warehouse)
    line = order.lines.get()
    shipment = create_shipment(order=order, location=warehouse, lines=[(line, 2)])
    # when
    shipment = mark_shipped(shipment=shipment, by=staff, carrier="DHL", tracking_number="jd 0001")
    # then
    level = _level(line, warehouse)
    assert (level.on_hand, level.reserved) == (8, 1)
    assert Reservation.objects.get(order_line=line).quantity == 1
    sale = StockMovement.objects.get(order_line=line, kind=MovementKind.SALE)
    assert sale.quantity == -2 and sale.by == staff
    assert (
        sum(
            StockMovement.objects.filter(variant=level.variant, location=level.location).values_list(
                "quantity", flat=True
            )
        )
        == level.on_hand
    )
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.shipped_at is not None
    assert shipment.tracking_number == "JD0001"
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.PARTIALLY_FULFILLED


def test_partial_shipment_then_the_rest_fulfils_the_order(warehouse):
    # given
    order = placed_order(quantities=(3, 1), location=warehouse)
    first, second = order.lines.all()
    mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(first, 1)]))
    # when
    mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(first, 2), (second, 1)]))
    # then
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.FULFILLED
    assert not Reservation.objects.filter(order_line__order=order).exists()
    assert quantities_to_ship(order=order) == {first.pk: 0, second.pk: 0}


def test_bad_postal_tracking_number_is_refused_and_changes_nothing(warehouse):
    # given
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    # when / then
    with pytest.raises(ShippingError, match="S10"):
        mark_shipped(shipment=shipment, carrier="Deutsche Post", tracking_number="RR123456780DE")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING
    assert not StockMovement.objects.filter(kind=MovementKind.SALE).exists()
    # a valid S10 number goes through
    assert mark_shipped(shipment=shipment, carrier="Deutsche Post", tracking_number="RR473124829DE").tracking_number


def test_shipping_the_shipment_of_a_cancelled_order_is_refused(warehouse):
    # given a pending shipment, then the order is cancelled (nothing has left yet)
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    cancel_order(order=order)
    # when / then
    with pytest.raises(NotShippable):
        mark_shipped(shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING


def test_delivered_and_paid_completes_the_order(warehouse):
    # given
    order = pay(placed_order(quantities=(1,), location=warehouse))
    shipment = _ship_all(order, warehouse)
    # when
    record_tracking_event(shipment=shipment, status="delivered", occurred_at=timezone.now(), source="manual")
    # then
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert shipment.delivered_at is not None
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.COMPLETED


def test_delivered_but_unpaid_stays_open(warehouse):
    order = placed_order(quantities=(1,), location=warehouse)
    shipment = _ship_all(order, warehouse)
    record_tracking_event(shipment=shipment, status="delivered", occurred_at=timezone.now())
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.PLACED


def test_one_of_two_parcels_delivered_keeps_the_order_fulfilled_not_delivered(warehouse):
    # given
    order = pay(placed_order(quantities=(2,), location=warehouse))
    line = order.lines.get()
    one = mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(line, 1)]))
    two = mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(line, 1)]))
    # when
    record_tracking_event(shipment=one, status="delivered", occurred_at=timezone.now())
    # then
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.FULFILLED
    assert order.status == OrderStatus.PROCESSING
    record_tracking_event(shipment=two, status="delivered", occurred_at=timezone.now())
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


# --- tracking events -------------------------------------------------------------------------


def test_tracking_events_move_forward_and_keep_same_status_events(warehouse):
    # given
    order = placed_order(location=warehouse)
    shipment = _ship_all(order, warehouse)
    now = timezone.now()
    # when
    record_tracking_event(shipment=shipment, status="in_transit", occurred_at=now, place="Leipzig", source="webhook")
    second = record_tracking_event(shipment=shipment, status="in_transit", occurred_at=now, place="Berlin")
    # then
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert second is not None
    assert list(shipment.events.order_by("id").values_list("place", flat=True)) == ["Leipzig", "Berlin"]


def test_duplicate_external_id_is_ignored(warehouse):
    # given
    order = placed_order(location=warehouse)
    shipment = _ship_all(order, warehouse)
    record_tracking_event(shipment=shipment, status="in_transit", occurred_at=timezone.now(), external_id="e-1")
    # when
    again = record_tracking_event(
        shipment=shipment, status="out_for_delivery", occurred_at=timezone.now(), external_id="e-1"
    )
    # then
    assert again is None
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert shipment.events.count() == 1


def test_late_in_transit_after_delivered_changes_nothing(warehouse):
    # given
    order = placed_order(location=warehouse)
    shipment = _ship_all(order, warehouse)
    now = timezone.now()
    record_tracking_event(shipment=shipment, status="delivered", occurred_at=now)
    # when
    late = record_tracking_event(shipment=shipment, status="in_transit", occurred_at=now - timedelta(days=1))
    # then
    assert late is None
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.events.count() == 1
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED


def test_tracking_event_before_shipping_is_refused(warehouse):
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with pytest.raises(InvalidShipmentTransition):
        record_tracking_event(shipment=shipment, status="in_transit", occurred_at=timezone.now())
    assert not TrackingEvent.objects.exists()


def test_tracking_event_with_a_status_carriers_cannot_send_is_refused(warehouse):
    order = placed_order(location=warehouse)
    shipment = _ship_all(order, warehouse)
    with pytest.raises(ShippingError):
        record_tracking_event(shipment=shipment, status="picked_up", occurred_at=timezone.now())
    assert not TrackingEvent.objects.exists()


# --- pickup ------------------------------------------------------------------------------------


def test_pickup_ready_then_collected_consumes_stock_and_records_who(staff):
    # given
    shop = LocationFactory(code="shop", name="Shop", is_pickup_point=True)
    order = pay(placed_order(quantities=(2,), location=shop, pickup_location=shop))
    shipment = create_shipment(order=order, location=shop, lines=[(order.lines.get(), 2)])
    # when
    shipment = mark_ready_for_pickup(shipment=shipment, by=staff)
    level_before = _level(order.lines.get(), shop)
    shipment = mark_picked_up(shipment=shipment, collected_by="Ada's neighbour", by=staff)
    # then
    assert (level_before.on_hand, level_before.reserved) == (10, 2)
    level = _level(order.lines.get(), shop)
    assert (level.on_hand, level.reserved) == (8, 0)
    assert shipment.status == ShipmentStatus.PICKED_UP and shipment.collected_by == "Ada's neighbour"
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.COMPLETED


def test_ready_for_pickup_at_a_location_that_is_not_a_pickup_point_is_refused(warehouse):
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with pytest.raises(InvalidShipmentTransition, match="not a pickup point"):
        mark_ready_for_pickup(shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING


def test_picked_up_without_saying_who_is_refused():
    shop = LocationFactory(code="shop", is_pickup_point=True)
    order = placed_order(location=shop)
    shipment = mark_ready_for_pickup(
        shipment=create_shipment(order=order, location=shop, lines=[(order.lines.get(), 1)])
    )
    with pytest.raises(ShippingError):
        mark_picked_up(shipment=shipment, collected_by="  ")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.READY_FOR_PICKUP


# --- at the counter ------------------------------------------------------------------------------


def test_hand_over_at_counter_ships_everything_and_completes_a_paid_order(staff):
    # given
    shop = LocationFactory(code="shop", name="Shop", is_pickup_point=True)
    order = pay(placed_order(quantities=(2, 1), location=shop))
    # when
    shipment = hand_over_at_counter(order=order, location=shop, by=staff)
    # then
    assert shipment.status == ShipmentStatus.PICKED_UP
    assert sorted(shipment.lines.values_list("quantity", flat=True)) == [1, 2]
    assert not Reservation.objects.filter(order_line__order=order).exists()
    assert StockMovement.objects.filter(order_line__order=order, kind=MovementKind.SALE).count() == 2
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.COMPLETED


def test_hand_over_unpaid_order_delivers_but_leaves_it_open():
    shop = LocationFactory(code="shop", is_pickup_point=True)
    order = placed_order(quantities=(1,), location=shop)
    hand_over_at_counter(order=order, location=shop)
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED
    assert order.status == OrderStatus.PLACED


def test_hand_over_from_a_location_without_the_stock_changes_nothing(warehouse):
    # given the stock is reserved at the warehouse
    order = placed_order(quantities=(1,), location=warehouse)
    shop = LocationFactory(code="shop", is_pickup_point=True)
    # when / then
    with pytest.raises(NotShippable):
        hand_over_at_counter(order=order, location=shop)
    assert not Shipment.objects.exists() and not ShipmentLine.objects.exists()
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.UNFULFILLED


def test_hand_over_twice_is_refused():
    shop = LocationFactory(code="shop", is_pickup_point=True)
    order = placed_order(quantities=(1,), location=shop)
    hand_over_at_counter(order=order, location=shop)
    with pytest.raises(NotShippable):
        hand_over_at_counter(order=order, location=shop)
    assert Shipment.objects.count() == 1


# --- e-mails are enqueued after commit ------------------------------------------------------------


def test_shipped_enqueues_the_shipped_email_after_commit(warehouse, django_capture_on_commit_callbacks):
    order = placed_order(location=warehouse)
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with (
        patch("shipping.services.fulfilment.send_shipment_email_task") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark_shipped(shipment=shipment)
    task.delay.assert_called_once_with(shipment_id=shipment.pk, kind="shipped")


def test_no_email_enqueued_for_an_order_without_email(warehouse, django_capture_on_commit_callbacks):
    order = placed_order(location=warehouse, email="")
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    with (
        patch("shipping.services.fulfilment.send_shipment_email_task") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark_shipped(shipment=shipment)
    task.delay.assert_not_called()
