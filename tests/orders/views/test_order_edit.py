from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import Order
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    channel = ChannelFactory(code="phone")
    shirt = stocked_variant(channel=channel, on_hand=5, price=Decimal("20.00"))
    stocked_variant(channel=channel, on_hand=2, price=Decimal("5.00"), sku="CAP-1")
    return place_order(
        channel=channel,
        customer=CustomerFactory(),
        lines=[LineInput(variant=shirt, quantity=2)],
        shipping_address={"name": "Ada", "line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin"},
    )


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="Staff"))
    return client


def _post_data(order, *, quantity, add_sku="", add_quantity="", **delivery):
    line = order.lines.get()
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line_id": str(line.pk),
        "lines-0-quantity": str(quantity),
        "add-TOTAL_FORMS": "1",
        "add-INITIAL_FORMS": "0",
        "add-0-sku": add_sku,
        "add-0-quantity": add_quantity,
        "shipping_amount": str(order.shipping_amount),
        "name": "Ada",
        "line1": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
    }
    data.update(delivery)
    return data


def test_the_edit_page_shows_the_lines_as_a_formset(staff_client, order):
    response = staff_client.get(reverse("orders:order-edit", kwargs={"number": order.number}))
    assert response.status_code == 200
    assert response.context["line_formset"].initial == [{"line_id": order.lines.get().pk, "quantity": 2}]


def test_edit_adds_a_line_and_changes_a_quantity(staff_client, order):
    # when
    response = staff_client.post(
        reverse("orders:order-edit", kwargs={"number": order.number}),
        _post_data(order, quantity=3, add_sku="CAP-1", add_quantity="2"),
    )
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert {line.sku: line.quantity for line in order.lines.all()}["CAP-1"] == 2
    assert order.subtotal_amount == Decimal("70.00")
    assert StockLevel.objects.get(variant__sku="CAP-1").reserved == 2
    page = staff_client.get(response["Location"])
    assert "Balance due" in page.content.decode()


def test_edit_refused_for_short_stock_changes_nothing(staff_client, order):
    # when
    response = staff_client.post(
        reverse("orders:order-edit", kwargs={"number": order.number}),
        _post_data(order, quantity=2, add_sku="CAP-1", add_quantity="3"),
        follow=True,
    )
    # then
    assert "CAP-1" in response.content.decode()
    assert "Not enough stock" in response.content.decode()
    order.refresh_from_db()
    assert order.lines.count() == 1
    assert order.subtotal_amount == Decimal("40.00")
    assert StockLevel.objects.get(variant__sku="CAP-1").reserved == 0


def test_cancelled_order_edit_page_sends_back_to_the_order(staff_client, order):
    order.status = Order.Status.CANCELLED
    order.save()
    response = staff_client.get(reverse("orders:order-edit", kwargs={"number": order.number}))
    assert response.status_code == 302


def test_warehouse_cannot_edit(client, order):
    client.force_login(UserFactory(role="Warehouse"))
    response = client.post(reverse("orders:order-edit", kwargs={"number": order.number}), _post_data(order, quantity=1))
    assert response.status_code == 403
    assert order.lines.get().quantity == 2


def test_edit_below_the_shipped_quantity_is_refused(staff_client, order):
    # given one of the two shirts has left the shelf
    from inventory.services import consume_reserved_stock
    from tests.inventory.factories import LocationFactory

    line = order.lines.get()
    consume_reserved_stock(order_line_id=line.pk, location=LocationFactory(), quantity=1)
    # when staff tries to drop the line
    response = staff_client.post(
        reverse("orders:order-edit", kwargs={"number": order.number}), _post_data(order, quantity=0), follow=True
    )
    # then
    assert "Shipped quantities cannot be taken off the order" in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2
