"""An order placed through the API says so (timeline note, "via API" by "Entered by"), and the
body may say how the customer will pay."""

import pytest

from orders.models import Order, OrderEvent
from tests.api.conftest import order_body
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_timeline_and_the_order_page_say_it_came_through_the_api(shop, staff_api, client):
    response = staff_api.post(
        "/api/v1/orders/",
        order_body(external_reference="MP-7", payment_choice="bank_transfer"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-123",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["payment_choice"] == "bank_transfer"
    order = Order.objects.get(number=response.json()["number"])
    assert order.payment_choice == "bank_transfer"
    note = order.events.get(kind=OrderEvent.Kind.NOTE, new_value="api")
    assert note.by == staff_api.user
    assert "through the API" in note.message and "key-123" in note.message and "MP-7" in note.message

    client.force_login(UserFactory(username="owner-looks", role="Owner"))
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "Entered by" in page and "via API" in page


def test_an_order_entered_by_hand_does_not_say_via_api(shop, staff_api, client):
    order = Order.objects.get(number=staff_api.post("/api/v1/orders/", order_body(), format="json").json()["number"])
    order.events.filter(new_value="api").delete()
    client.force_login(UserFactory(username="owner-looks", role="Owner"))
    assert "via API" not in client.get(f"/orders/{order.number}/").content.decode()


@pytest.mark.parametrize(
    ("choice", "field"),
    [("cash", "payment_choice"), ("at_pickup", "payment_choice"), (7, "payment_choice")],
)
def test_a_bad_payment_choice_is_a_field_error_and_places_nothing(shop, staff_api, choice, field):
    response = staff_api.post("/api/v1/orders/", order_body(payment_choice=choice), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists()
