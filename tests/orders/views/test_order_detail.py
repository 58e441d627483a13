from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Reservation, StockLevel
from orders.models import Order, OrderEvent
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _placed_order(*, lines: int = 2, on_hand: int = 10, **kwargs) -> Order:
    channel = ChannelFactory(code="phone")
    variants = [stocked_variant(channel=channel, on_hand=on_hand, price=Decimal("10.00")) for _ in range(lines)]
    return place_order(
        channel=channel,
        customer=CustomerFactory(),
        lines=[LineInput(variant=v, quantity=1) for v in variants],
        shipping_address={"name": "Ada", "line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin"},
        **kwargs,
    )


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="Staff"))
    return client


def test_detail_shows_lines_reservations_totals_and_facts(staff_client):
    # given
    order = _placed_order(lines=2)
    # when
    response = staff_client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    for line in order.lines.all():
        assert line.sku in body
    assert "reserved at Warehouse" in body
    assert f"/track/{order.tracking_code}/" in body
    assert order.email in body
    assert "Hauptstraße 1" in body
    assert response.context["detail"].balance_due == order.total_amount


def _fill(order: Order, *, size: int, user) -> None:
    """Notes, payments, an invoice and shipments with lines and tracking events: ``size`` of each."""
    from django.utils import timezone

    from billing.models import Invoice, Payment
    from shipping.models import Shipment, ShipmentLine, TrackingEvent
    from tests.inventory.factories import LocationFactory

    location = LocationFactory()
    lines = list(order.lines.all())
    for i in range(size):
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, message=f"n{i}", by=user)
        Payment.objects.create(order=order, method="card", amount=Decimal("1.00"), currency="EUR", recorded_by=user)
        Invoice.objects.create(
            order=order,
            series="INV",
            year=2026,
            sequence_number=order.pk * 100 + i,
            number=f"INV-{order.pk}-{i}",
            net_amount=Decimal("1.00"),
            tax_amount=Decimal("0.19"),
            total_amount=Decimal("1.19"),
            issued_at=timezone.now(),
        )
        shipment = Shipment.objects.create(order=order, location=location, status="in_transit", created_by=user)
        ShipmentLine.objects.create(shipment=shipment, order_line=lines[i % len(lines)], quantity=1)
        TrackingEvent.objects.create(shipment=shipment, status="in_transit", occurred_at=timezone.now())


def test_detail_costs_the_same_queries_at_two_sizes(client, django_assert_num_queries):
    # given a small order and one five times bigger in every part the page shows
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory(role="Owner")
    small = _placed_order(lines=1)
    big = _placed_order(lines=5)
    _fill(small, size=1, user=user)
    _fill(big, size=5, user=user)
    client.force_login(user)
    client.get(reverse("orders:order-detail", kwargs={"number": small.number}))  # warm session and caches
    with CaptureQueriesContext(connection) as small_queries:
        small_page = client.get(reverse("orders:order-detail", kwargs={"number": small.number}))
    # when / then: the bigger order costs exactly as many queries
    with django_assert_num_queries(len(small_queries)):
        response = client.get(reverse("orders:order-detail", kwargs={"number": big.number}))
    assert small_page.status_code == response.status_code == 200
    assert len(response.context["detail"].shipments) == 5
    assert len(small_queries) <= 25  # 21 today: session, user, perms, the order and one per relation


def test_a_placed_order_offers_edit_cancel_and_start_processing(staff_client):
    # given
    order = _placed_order()
    # when
    actions = staff_client.get(reverse("orders:order-detail", kwargs={"number": order.number})).context["actions"]
    # then
    assert actions["edit"] and actions["cancel"] and actions["start_processing"]
    assert not actions["complete"]


def test_a_cancelled_order_offers_no_action(staff_client):
    # given
    order = _placed_order()
    order.status = Order.Status.CANCELLED
    order.save()
    # when
    response = staff_client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    # then
    assert not response.context["actions"]["any"]
    assert reverse("orders:order-cancel", kwargs={"number": order.number}) not in response.content.decode()
    assert reverse("orders:order-edit", kwargs={"number": order.number}) not in response.content.decode()


def test_warehouse_sees_the_order_without_actions_and_cannot_cancel(client):
    # given
    order = _placed_order()
    client.force_login(UserFactory(role="Warehouse"))
    # when
    page = client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    cancel = client.post(reverse("orders:order-cancel", kwargs={"number": order.number}), {"reason": "x"})
    # then
    assert page.status_code == 200
    assert not page.context["actions"]["edit"]
    assert cancel.status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_staff_adds_a_note_to_the_timeline(staff_client):
    # given
    order = _placed_order()
    # when
    response = staff_client.post(
        reverse("orders:order-note", kwargs={"number": order.number}), {"message": "Customer rang: leave at door"}
    )
    # then
    assert response.status_code == 302
    note = order.events.get(kind=OrderEvent.Kind.NOTE)
    assert note.message == "Customer rang: leave at door"
    page = staff_client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    assert "Customer rang: leave at door" in page.content.decode()


def test_an_empty_note_is_refused_next_to_the_field(staff_client):
    order = _placed_order()
    response = staff_client.post(reverse("orders:order-note", kwargs={"number": order.number}), {"message": "  "})
    assert response.status_code == 400
    assert not order.events.filter(kind=OrderEvent.Kind.NOTE).exists()


def test_cancel_asks_for_confirmation_then_cancels_and_releases_stock(staff_client):
    # given
    order = _placed_order()
    url = reverse("orders:order-cancel", kwargs={"number": order.number})
    # when
    confirm = staff_client.get(url)
    # then nothing happened yet
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    # when confirmed with a reason
    response = staff_client.post(url, {"reason": "Customer changed their mind"})
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert not Reservation.objects.filter(order_line__order=order).exists()
    assert set(StockLevel.objects.values_list("reserved", flat=True)) == {0}


def test_cancel_without_a_reason_changes_nothing(staff_client):
    order = _placed_order()
    response = staff_client.post(reverse("orders:order-cancel", kwargs={"number": order.number}), {"reason": ""})
    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_start_processing_moves_the_order(staff_client):
    order = _placed_order()
    staff_client.post(reverse("orders:order-start-processing", kwargs={"number": order.number}))
    assert Order.objects.get(pk=order.pk).status == Order.Status.PROCESSING


def test_complete_is_refused_for_an_unpaid_order(staff_client):
    order = _placed_order()
    staff_client.post(reverse("orders:order-complete", kwargs={"number": order.number}))
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_unknown_order_is_404(staff_client):
    assert staff_client.get(reverse("orders:order-detail", kwargs={"number": "999999"})).status_code == 404


def test_anonymous_is_sent_to_login(client):
    order = _placed_order()
    response = client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
