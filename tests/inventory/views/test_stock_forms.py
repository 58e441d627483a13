"""Receive, adjust, count and transfer: who may, what each changes, and each refusal changing nothing."""

import re

import pytest
from django.urls import reverse

from inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from orders.models import OrderLine
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, VariantFactory
from tests.inventory.factories import LocationFactory, stocked_variant

pytestmark = pytest.mark.django_db

FORMS = ["inventory:stock-receive", "inventory:stock-adjust", "inventory:stock-count", "inventory:stock-transfer"]


def _snapshot():
    return (
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        StockMovement.objects.count(),
        Reservation.objects.count(),
    )


def _input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


@pytest.fixture
def warehouse():
    return LocationFactory(code="warehouse")


@pytest.fixture
def store():
    return LocationFactory(code="store", name="Shop floor")


@pytest.mark.parametrize("name", FORMS)
def test_anonymous_is_sent_to_login(client, name):
    # when
    response = client.get(reverse(name))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", FORMS)
def test_staff_without_change_permission_is_refused(staff_client, warehouse, name):
    # given
    variant = stocked_variant(location=warehouse, on_hand=5)
    before = _snapshot()

    # when
    shown = staff_client.get(reverse(name))
    posted = staff_client.post(
        reverse(name), {"variant": variant.sku, "location": warehouse.pk, "quantity": 1, "counted": 1}
    )

    # then
    assert shown.status_code == 403
    assert posted.status_code == 403
    assert _snapshot() == before


def test_receive_form_focuses_the_sku_field_and_prefills_from_the_card(warehouse_client, warehouse):
    # given
    variant = VariantFactory(sku="FOCUS-1")

    # when
    blank = warehouse_client.get(reverse("inventory:stock-receive")).content.decode()
    prefilled = warehouse_client.get(reverse("inventory:stock-receive"), {"sku": "FOCUS-1"}).content.decode()

    # then
    assert "autofocus" in _input(blank, "variant")
    assert f'value="{variant.sku}"' in _input(prefilled, "variant")
    assert "autofocus" in _input(prefilled, "quantity")  # the SKU is known: type the quantity


def test_receive_by_barcode_adds_stock_and_fills_a_waiting_backorder(warehouse_client, warehouse, warehouse_user):
    # given
    channel = ChannelFactory()
    variant = stocked_variant(
        channel=channel, location=warehouse, on_hand=0, barcode="4006381333931", allow_backorder=True
    )
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=2)])
    assert order.lines.get().quantity_backordered == 2

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-receive"),
        {"variant": "4006381333931", "location": warehouse.pk, "quantity": 5, "reason": "PO 42"},
        follow=True,
    )

    # then
    level = StockLevel.objects.get(variant=variant, location=warehouse)
    assert (level.on_hand, level.reserved) == (5, 2)
    assert OrderLine.objects.get(order=order).quantity_backordered == 0
    movement = StockMovement.objects.get(variant=variant, kind=MovementKind.RECEIPT)
    assert (movement.quantity, movement.reason, movement.by) == (5, "PO 42", warehouse_user)
    assert response.redirect_chain[-1][0] == reverse("inventory:stock-card", args=[variant.sku])
    assert "Received 5 × " in response.content.decode()


@pytest.mark.parametrize("quantity", ["0", "-2", "1.5", "abc"])
def test_receive_refuses_a_bad_quantity_next_to_the_field(warehouse_client, warehouse, quantity):
    # given
    variant = stocked_variant(location=warehouse, on_hand=3)
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-receive"), {"variant": variant.sku, "location": warehouse.pk, "quantity": quantity}
    )

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert 'id="id_quantity_error"' in response.content.decode()
    assert _snapshot() == before


def test_receive_refuses_an_unknown_code(warehouse_client, warehouse):
    # when
    response = warehouse_client.post(
        reverse("inventory:stock-receive"), {"variant": "NO-SUCH", "location": warehouse.pk, "quantity": 1}
    )

    # then
    assert response.status_code == 200
    assert "No variant has the SKU or barcode “NO-SUCH”." in response.content.decode()
    assert StockMovement.objects.count() == 0


def test_adjust_writes_off_damaged_stock_with_the_reason(warehouse_client, warehouse):
    # given
    variant = stocked_variant(location=warehouse, on_hand=6)

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-adjust"),
        {"variant": variant.sku, "location": warehouse.pk, "delta": -2, "reason": "damaged", "note": "forklift"},
    )

    # then
    assert response.status_code == 302
    assert StockLevel.objects.get(variant=variant).on_hand == 4
    movement = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
    assert (movement.quantity, movement.reason) == (-2, "Damaged: forklift")


def test_adjust_refuses_a_positive_change_for_lost_stock(warehouse_client, warehouse):
    # given
    variant = stocked_variant(location=warehouse, on_hand=6)
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-adjust"),
        {"variant": variant.sku, "location": warehouse.pk, "delta": 2, "reason": "lost"},
    )

    # then
    assert response.status_code == 200
    assert "enter a negative number" in response.content.decode()
    assert _snapshot() == before


def test_adjust_refuses_writing_off_reserved_stock_with_the_service_message(warehouse_client, warehouse):
    # given
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=4)])
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-adjust"),
        {"variant": variant.sku, "location": warehouse.pk, "delta": -3, "reason": "lost"},
    )

    # then
    assert response.status_code == 200
    assert "3 requested, 1 available" in response.content.decode()
    assert _snapshot() == before


def test_count_sets_on_hand_and_records_the_difference(warehouse_client, warehouse):
    # given
    variant = stocked_variant(location=warehouse, on_hand=10)

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-count"), {"variant": variant.sku, "location": warehouse.pk, "counted": 7}
    )

    # then
    assert response.status_code == 302
    assert StockLevel.objects.get(variant=variant).on_hand == 7
    assert StockMovement.objects.get(kind=MovementKind.COUNT).quantity == -3


def test_count_refuses_a_count_below_reserved(warehouse_client, warehouse):
    # given
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, location=warehouse, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=3)])
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-count"), {"variant": variant.sku, "location": warehouse.pk, "counted": 2}
    )

    # then
    assert response.status_code == 200
    assert "3 are reserved for orders" in response.content.decode()
    assert _snapshot() == before


def test_transfer_moves_stock_and_returns_to_next(warehouse_client, warehouse, store):
    # given
    variant = stocked_variant(location=warehouse, on_hand=8)
    back = reverse("inventory:stock-list") + "?q=x"

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-transfer"),
        {"variant": variant.sku, "from_location": warehouse.pk, "to_location": store.pk, "quantity": 3, "next": back},
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == back
    levels = dict(StockLevel.objects.filter(variant=variant).values_list("location__code", "on_hand"))
    assert levels == {"warehouse": 5, "store": 3}


def test_transfer_refuses_the_same_location(warehouse_client, warehouse):
    # given
    variant = stocked_variant(location=warehouse, on_hand=8)
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-transfer"),
        {"variant": variant.sku, "from_location": warehouse.pk, "to_location": warehouse.pk, "quantity": 1},
    )

    # then
    assert response.status_code == 200
    assert "Choose two different locations for a transfer." in response.content.decode()
    assert _snapshot() == before


def test_transfer_refuses_more_than_is_available(warehouse_client, warehouse, store):
    # given
    variant = stocked_variant(location=warehouse, on_hand=2)
    before = _snapshot()

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-transfer"),
        {"variant": variant.sku, "from_location": warehouse.pk, "to_location": store.pk, "quantity": 5},
    )

    # then
    assert response.status_code == 200
    assert "5 requested, 2 available" in response.content.decode()
    assert _snapshot() == before


def test_next_to_another_site_is_ignored(warehouse_client, warehouse):
    # given
    variant = stocked_variant(location=warehouse, on_hand=1)

    # when
    response = warehouse_client.post(
        reverse("inventory:stock-receive"),
        {"variant": variant.sku, "location": warehouse.pk, "quantity": 1, "next": "https://evil.example/"},
    )

    # then
    assert response["Location"] == reverse("inventory:stock-card", args=[variant.sku])


def test_transfer_form_preselects_a_different_target(warehouse_client, warehouse, store):
    # when
    form = warehouse_client.get(reverse("inventory:stock-transfer")).context["form"]

    # then
    assert form["from_location"].value() is None or form["from_location"].value() != form["to_location"].value()
    assert form["to_location"].value() in (warehouse.pk, store.pk)
