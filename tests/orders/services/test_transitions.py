"""Every allowed and every forbidden status change, through the services that make them."""

from decimal import Decimal
from unittest.mock import patch

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from orders.exceptions import InvalidTransition
from orders.models import ORDER_TRANSITIONS, Order, OrderEvent, OrderLine, OrderStatus
from orders.services import (
    LineInput,
    cancel_order,
    complete_order,
    place_draft_order,
    place_order,
    start_processing,
)
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

SERVICES = {
    OrderStatus.PLACED: place_draft_order,
    OrderStatus.PROCESSING: start_processing,
    OrderStatus.COMPLETED: complete_order,
    OrderStatus.CANCELLED: cancel_order,
}


def _order_in(status: str, *, for_target: str) -> Order:
    """An order in ``status`` whose other axes satisfy the target's own checks, so that only
    the state table decides."""
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5, price=Decimal("10.00"))
    ready_to_complete = for_target == OrderStatus.COMPLETED
    order = Order.objects.create(
        channel=channel,
        status=status,
        number=None if status == OrderStatus.DRAFT else f"T{Order.objects.count() + 1}",
        placed_at=None if status == OrderStatus.DRAFT else timezone.now(),
        payment_status="paid" if ready_to_complete else "unpaid",
        fulfilment_status="delivered" if ready_to_complete else "unfulfilled",
        total_amount=Decimal("11.90"),
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku,
        product_name="Thing",
        quantity=1,
        unit_price_amount=Decimal("10.00"),
        tax_rate=Decimal("19.00"),
        line_total_amount=Decimal("10.00"),
    )
    return order


CASES = [(source, target) for source in OrderStatus.values for target in SERVICES]


@pytest.mark.parametrize(("source", "target"), CASES, ids=[f"{s}->{t}" for s, t in CASES])
def test_each_transition_is_allowed_exactly_when_the_table_says_so(source, target):
    # given
    order = _order_in(source, for_target=target)
    user = UserFactory()
    allowed = target in ORDER_TRANSITIONS[source]
    events_before = order.events.count()
    # when / then
    with (
        patch("orders.services.placement.send_order_email_task"),
        patch("orders.services.status.send_order_email_task"),
    ):
        if allowed:
            moved = SERVICES[target](order=order, by=user)
            assert moved.status == target
            assert order.events.filter(
                kind=OrderEvent.Kind.STATUS, old_value=source, new_value=target, by=user
            ).exists()
        else:
            with pytest.raises(InvalidTransition) as refusal:
                SERVICES[target](order=order, by=user)
            assert "cannot become" in refusal.value.message
            order.refresh_from_db()
            assert order.status == source
            assert order.events.count() == events_before


def test_nothing_leads_back_to_draft_and_final_states_are_final():
    assert all(OrderStatus.DRAFT not in targets for targets in ORDER_TRANSITIONS.values())
    assert ORDER_TRANSITIONS[OrderStatus.COMPLETED] == frozenset()
    assert ORDER_TRANSITIONS[OrderStatus.CANCELLED] == frozenset()
    assert set(ORDER_TRANSITIONS) == set(OrderStatus.values)


def test_cancel_releases_the_reserved_stock_and_emails_the_customer(django_capture_on_commit_callbacks):
    # given
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    order = place_order(channel=channel, email="ada@example.com", lines=[LineInput(variant=variant, quantity=3)])
    assert StockLevel.objects.get(variant=variant).reserved == 3
    # when
    with (
        patch("orders.services.status.send_order_email_task") as email_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = cancel_order(order=order, by=UserFactory(), reason="Customer changed their mind")
    # then
    assert order.status == OrderStatus.CANCELLED
    assert order.cancelled_at is not None
    assert StockLevel.objects.get(variant=variant).reserved == 0
    assert not order.lines.get().reservations.exists()
    email_task.delay.assert_called_once_with(order_id=order.pk, kind="cancelled")


@pytest.mark.parametrize(
    ("payment_status", "fulfilment_status", "message"),
    [("paid", "unfulfilled", "refund them"), ("unpaid", "partially_fulfilled", "record a return")],
)
def test_cancel_refuses_paid_or_shipped_orders_and_changes_nothing(payment_status, fulfilment_status, message):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=5)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    Order.objects.filter(pk=order.pk).update(payment_status=payment_status, fulfilment_status=fulfilment_status)
    with pytest.raises(InvalidTransition, match=message):
        cancel_order(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert StockLevel.objects.get(variant=variant).reserved == 2


@pytest.mark.parametrize(
    ("payment_status", "fulfilment_status", "message"),
    [("unpaid", "delivered", "not paid"), ("paid", "partially_fulfilled", "not been fulfilled")],
)
def test_complete_needs_payment_and_fulfilment(payment_status, fulfilment_status, message):
    order = _order_in(OrderStatus.PROCESSING, for_target=OrderStatus.CANCELLED)
    Order.objects.filter(pk=order.pk).update(payment_status=payment_status, fulfilment_status=fulfilment_status)
    with pytest.raises(InvalidTransition, match=message):
        complete_order(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING


def test_placing_a_draft_reserves_its_stock_and_numbers_it(settings):
    order = _order_in(OrderStatus.DRAFT, for_target=OrderStatus.PLACED)
    variant = order.lines.get().variant
    order = place_draft_order(order=order)
    assert order.number == str(settings.ORDER_NUMBER_START + order.pk)
    assert StockLevel.objects.get(variant=variant).reserved == 1
