from unittest.mock import patch

import pytest
from django.urls import reverse
from django.utils import timezone

from config import roles
from inventory.models import MovementKind, StockMovement
from orders.models import FulfilmentStatus
from shipping.models import Shipment, ShipmentStatus, TrackingEvent
from shipping.selectors import shipments_for_panel
from shipping.services import create_shipment, mark_ready_for_pickup, mark_shipped
from tests.inventory.factories import LocationFactory
from tests.orders.factories import UserFactory
from tests.shipping.factories import placed_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_email_tasks():
    with patch("shipping.services.fulfilment.send_shipment_email_task"):
        yield


@pytest.fixture
def warehouse_client(client):
    client.force_login(UserFactory(role=roles.WAREHOUSE))
    return client


@pytest.fixture
def order(warehouse):
    return placed_order(quantities=(3, 1), location=warehouse)


def _pending(order, location, quantity=1):
    return create_shipment(order=order, location=location, lines=[(order.lines.first(), quantity)])


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shipping:shipment-list", "shipping:pick-list"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_user_without_a_role_is_forbidden_everywhere(client, order, warehouse):
    # given
    shipment = _pending(order, warehouse)
    client.force_login(UserFactory())
    # when / then
    for url in (
        reverse("shipping:shipment-list"),
        reverse("shipping:shipment-detail", args=[shipment.pk]),
        reverse("shipping:shipment-create", args=[order.number]),
        reverse("shipping:shipment-packing-slip", args=[shipment.pk]),
        reverse("shipping:pick-list"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("shipping:shipment-pack", args=[shipment.pk])).status_code == 403
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING


@pytest.mark.parametrize("role", [roles.OWNER, roles.STAFF, roles.WAREHOUSE])
def test_every_role_opens_the_list(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("shipping:shipment-list")).status_code == 200


# --- list ------------------------------------------------------------------------------------------


def test_list_filters_by_status_carrier_location_and_search(warehouse_client, order, warehouse):
    # given
    shop = LocationFactory(code="shop", name="Shop")
    shipped = mark_shipped(shipment=_pending(order, warehouse), carrier="DHL", tracking_number="JD0001")
    pending = _pending(order, warehouse)
    # when
    by_status = warehouse_client.get(reverse("shipping:shipment-list"), {"status": "shipped"})
    by_carrier = warehouse_client.get(reverse("shipping:shipment-list"), {"carrier": "DHL"})
    by_location = warehouse_client.get(reverse("shipping:shipment-list"), {"location": shop.pk})
    by_tracking = warehouse_client.get(reverse("shipping:shipment-list"), {"q": "jd0001"})

    # then
    def ids(response):
        return [s.pk for s in response.context["page"].object_list]

    assert ids(by_status) == [shipped.pk]
    assert ids(by_carrier) == [shipped.pk]
    assert ids(by_location) == []
    assert ids(by_tracking) == [shipped.pk]
    assert pending.pk in ids(warehouse_client.get(reverse("shipping:shipment-list")))
    assert "No shipments match these filters." in by_location.content.decode()


def test_list_queries_stay_bounded(warehouse_client, django_assert_max_num_queries, warehouse):
    # given many orders and shipments
    for _n in range(12):
        o = placed_order(quantities=(1,), location=warehouse)
        mark_shipped(shipment=_pending(o, warehouse), carrier="DHL", tracking_number="JD0002")
    # when / then
    with django_assert_max_num_queries(12):
        response = warehouse_client.get(reverse("shipping:shipment-list"))
    assert len(response.context["page"].object_list) == 12


# --- create -----------------------------------------------------------------------------------------


def test_create_page_offers_what_is_left_and_creates_a_split_shipment(warehouse_client, order, warehouse):
    # given
    first, second = order.lines.all()
    url = reverse("shipping:shipment-create", args=[order.number])
    # when
    page = warehouse_client.get(url)
    response = warehouse_client.post(url, {"location": warehouse.pk, f"line_{first.pk}": "2", f"line_{second.pk}": "0"})
    # then
    assert page.status_code == 200 and page.context["form"].fields["location"].initial == warehouse.pk
    shipment = Shipment.objects.get(order=order)
    assert response.status_code == 302 and response["Location"].endswith(f"/shipping/shipments/{shipment.pk}/")
    assert list(shipment.lines.values_list("order_line_id", "quantity")) == [(first.pk, 2)]


def test_create_more_than_left_shows_the_error_and_creates_nothing(warehouse_client, order, warehouse):
    first = order.lines.first()
    response = warehouse_client.post(
        reverse("shipping:shipment-create", args=[order.number]), {"location": warehouse.pk, f"line_{first.pk}": "9"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Shipment.objects.exists()


def test_create_from_a_location_without_stock_is_refused_with_the_services_message(warehouse_client, order, warehouse):
    shop = LocationFactory(code="shop", name="Shop")
    first = order.lines.first()
    response = warehouse_client.post(
        reverse("shipping:shipment-create", args=[order.number]), {"location": shop.pk, f"line_{first.pk}": "1"}
    )
    assert "reserved at Shop" in response.content.decode()
    assert not Shipment.objects.exists()


def test_create_for_unknown_order_is_404(warehouse_client):
    assert warehouse_client.get(reverse("shipping:shipment-create", args=["nope"])).status_code == 404


# --- detail and actions -------------------------------------------------------------------------------


def test_detail_shows_only_the_actions_the_state_allows(warehouse_client, order, warehouse):
    # given
    shipment = _pending(order, warehouse)
    url = reverse("shipping:shipment-detail", args=[shipment.pk])
    # when
    pending_html = warehouse_client.get(url).content.decode()
    mark_shipped(shipment=shipment)
    shipped_html = warehouse_client.get(url).content.decode()
    # then
    assert "Mark packed" in pending_html and "Mark shipped" in pending_html
    assert "Add a tracking event" not in pending_html
    assert "Ready for pickup</button>" not in pending_html  # the warehouse is not a pickup point
    assert "Mark packed" not in shipped_html and "Mark shipped" not in shipped_html
    assert "Add a tracking event" in shipped_html


def test_pack_then_ship_with_a_tracking_number_consumes_stock(warehouse_client, order, warehouse):
    # given
    shipment = _pending(order, warehouse, quantity=3)
    # when
    warehouse_client.post(reverse("shipping:shipment-pack", args=[shipment.pk]))
    response = warehouse_client.post(
        reverse("shipping:shipment-ship", args=[shipment.pk]),
        {"carrier": "DHL", "tracking_number": "00340434161094042557"},
    )
    # then
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.packed_at is not None
    assert shipment.tracking_number == "00340434161094042557"
    assert StockMovement.objects.filter(order_line__order=order, kind=MovementKind.SALE).count() == 1
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.PARTIALLY_FULFILLED


def test_ship_with_a_bad_postal_number_shows_the_error_by_the_field(warehouse_client, order, warehouse):
    shipment = _pending(order, warehouse)
    response = warehouse_client.post(
        reverse("shipping:shipment-ship", args=[shipment.pk]),
        {"carrier": "Deutsche Post", "tracking_number": "RR123456780DE"},
    )
    assert response.status_code == 200
    assert "tracking_number" in response.context["ship_form"].errors
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PENDING


def test_pack_twice_is_refused_with_a_message(warehouse_client, order, warehouse):
    shipment = _pending(order, warehouse)
    warehouse_client.post(reverse("shipping:shipment-pack", args=[shipment.pk]))
    response = warehouse_client.post(reverse("shipping:shipment-pack", args=[shipment.pk]), follow=True)
    assert "cannot become" in response.content.decode()


def test_staff_adds_a_tracking_event_and_a_stale_one_changes_nothing(warehouse_client, order, warehouse):
    # given
    shipment = mark_shipped(shipment=_pending(order, warehouse))
    url = reverse("shipping:shipment-event", args=[shipment.pk])
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    # when
    warehouse_client.post(url, {"status": "delivered", "occurred_at": when, "place": "Front door"})
    stale = warehouse_client.post(url, {"status": "in_transit", "occurred_at": when})
    # then
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert stale.status_code == 200  # in transit is no longer a choice after delivered
    assert "status" in stale.context["event_form"].errors


def test_pickup_ready_then_picked_up_records_who(warehouse_client):
    # given
    shop = LocationFactory(code="shop", name="Shop", is_pickup_point=True)
    order = placed_order(quantities=(1,), location=shop, pickup_location=shop)
    shipment = create_shipment(order=order, location=shop, lines=[(order.lines.get(), 1)])
    # when
    warehouse_client.post(reverse("shipping:shipment-ready", args=[shipment.pk]))
    empty = warehouse_client.post(reverse("shipping:shipment-picked-up", args=[shipment.pk]), {"collected_by": ""})
    warehouse_client.post(reverse("shipping:shipment-picked-up", args=[shipment.pk]), {"collected_by": "Ada L."})
    # then
    assert "collected_by" in empty.context["picked_up_form"].errors
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PICKED_UP and shipment.collected_by == "Ada L."


def test_packing_slip_is_a_pdf(warehouse_client, order, warehouse):
    shipment = _pending(order, warehouse)
    response = warehouse_client.get(reverse("shipping:shipment-packing-slip", args=[shipment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_pick_list_page_lists_open_orders_and_prints_the_chosen(warehouse_client, order):
    # when
    page = warehouse_client.get(reverse("shipping:pick-list"))
    pdf = warehouse_client.get(reverse("shipping:pick-list"), {"orders": [order.number]})
    # then
    assert order.number in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"


def test_pick_list_with_unknown_numbers_says_so(warehouse_client):
    response = warehouse_client.get(reverse("shipping:pick-list"), {"orders": "999999"}, follow=True)
    assert "None of these order numbers exist." in response.content.decode()


# --- the order panel -------------------------------------------------------------------------------------


def test_order_panel_shows_shipments_and_the_create_button_while_something_is_left(rf, order, warehouse):
    from django.template.loader import render_to_string

    from orders.models import Order

    # given
    mark_shipped(shipment=_pending(order, warehouse), carrier="DHL", tracking_number="JD0003")
    request = rf.get("/")
    request.user = UserFactory(role=roles.WAREHOUSE)
    loaded = Order.objects.prefetch_related(shipments_for_panel()).get(pk=order.pk)
    # when
    from django.contrib.auth.context_processors import PermWrapper

    html = render_to_string(
        "shipping/partials/_order_panel.html", {"order": loaded, "perms": PermWrapper(request.user)}, request=request
    )
    # then
    assert "JD0003" in html and "Shipped" in html
    assert reverse("shipping:shipment-create", args=[order.number]) in html


def test_nav_points_shipments_at_the_list(warehouse_client):
    html = warehouse_client.get(reverse("shipping:shipment-list")).content.decode()
    assert f'href="{reverse("shipping:shipment-list")}"' in html


def test_ready_for_pickup_button_only_at_pickup_points(warehouse_client):
    shop = LocationFactory(code="shop", is_pickup_point=True)
    order = placed_order(quantities=(1,), location=shop)
    shipment = create_shipment(order=order, location=shop, lines=[(order.lines.get(), 1)])
    html = warehouse_client.get(reverse("shipping:shipment-detail", args=[shipment.pk])).content.decode()
    assert "Ready for pickup</button>" in html
    mark_ready_for_pickup(shipment=shipment)
    html = warehouse_client.get(reverse("shipping:shipment-detail", args=[shipment.pk])).content.decode()
    assert "Mark picked up" in html


# --- returns --------------------------------------------------------------------------------------------


def test_return_recorded_and_received_through_the_pages(warehouse_client, warehouse):
    # given a delivered order
    order = placed_order(quantities=(2,), location=warehouse)
    line = order.lines.get()
    shipment = mark_shipped(shipment=create_shipment(order=order, location=warehouse, lines=[(line, 2)]))
    from shipping.services import record_tracking_event

    record_tracking_event(shipment=shipment, status="delivered", occurred_at=timezone.now())
    # when
    too_many = warehouse_client.post(
        reverse("shipping:return-create", args=[order.number]),
        {"reason": "other", f"qty_{line.pk}": "3", f"cond_{line.pk}": "sellable"},
    )
    created = warehouse_client.post(
        reverse("shipping:return-create", args=[order.number]),
        {"reason": "no_longer_needed", f"qty_{line.pk}": "1", f"cond_{line.pk}": "sellable"},
    )
    from shipping.models import Return

    return_request = Return.objects.get()
    received = warehouse_client.post(
        reverse("shipping:return-detail", args=[return_request.pk]), {"location": warehouse.pk}
    )
    # then
    assert too_many.status_code == 200 and too_many.context["form"].errors
    assert created.status_code == 302
    assert received.status_code == 302
    return_request.refresh_from_db()
    assert return_request.status == "received"
    assert StockMovement.objects.filter(order_line=line, kind=MovementKind.RETURN).get().quantity == 1


def test_return_pages_need_the_shipping_permission(client, order):
    client.force_login(UserFactory())
    assert client.get(reverse("shipping:return-create", args=[order.number])).status_code == 403
