"""Journey: a warehouse user ships a paid order; the customer's tracking page says shipped, with the carrier number."""

import pytest

from tests.inventory.factories import LocationFactory
from tests.orders.factories import UserFactory
from tests.shipping.factories import pay, placed_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_warehouse_ships_a_paid_order_and_the_customer_sees_it(live_server, page):
    # given a paid order and a warehouse user
    warehouse = LocationFactory(code="warehouse")
    order = pay(placed_order(quantities=(2,), location=warehouse))
    UserFactory(username="packer", role="Warehouse")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("packer")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    # when: create the shipment for everything, then hand it to the carrier
    page.goto(f"{live_server.url}/shipping/orders/{order.number}/shipments/new/")
    page.get_by_role("button", name="Create shipment").click()
    page.locator("input[name=carrier]").fill("DHL")
    page.locator("input[name=tracking_number]").fill("JD014600006101234567")
    page.get_by_role("button", name="Mark shipped").click()
    assert "is now Shipped" in page.locator("main").inner_text()
    # then the customer's public page shows the step and the number
    page.goto(f"{live_server.url}/track/{order.tracking_code}/")
    body = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    assert "JD014600006101234567" in body
    current = page.locator('[aria-current="step"]').inner_text()
    assert "Shipped" in current
    assert "ada@example.com" not in page.content()
