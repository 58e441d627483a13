"""Journey: Staff takes a phone order for a new customer, two lines, shipped with a method."""

from decimal import Decimal

import pytest

from orders.models import Order
from shipping.models import ShippingMethod
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_enters_a_phone_order_and_sees_it_placed_with_the_right_total(live_server, page):
    # given
    UserFactory(username="staff", role="Staff")
    phone = ChannelFactory(code="phone", name="Phone")
    stocked_variant(channel=phone, on_hand=5, price=Decimal("20.00"), sku="TEE-BLK-M")
    stocked_variant(channel=phone, on_hand=5, price=Decimal("8.50"), sku="MUG-WHT")
    ShippingMethod.objects.create(code="dhl", name="DHL Parcel", price_amount=Decimal("4.90"))
    page.goto(f"{live_server.url}/login/?next=/orders/new/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/orders/new/")
    # when: a scanner types each code and Enter; the quantity of the first is raised to 2
    page.get_by_label("Add a product").fill("TEE-BLK-M")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_label("Add a product").press("Enter")
    page.wait_for_selector("[data-testid=entry-lines] >> text=TEE-BLK-M")
    page.get_by_label("Add a product").fill("MUG-WHT")
    page.get_by_label("Add a product").press("Enter")
    page.wait_for_selector("[data-testid=entry-lines] >> text=MUG-WHT")
    # a new customer, shipped with DHL
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Shipping method").select_option(label="DHL Parcel (4.90)")
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Address line 1").fill("Am Markt 2")
    page.get_by_label("Postal code").fill("20095")
    page.get_by_label("City").fill("Hamburg")
    page.get_by_role("button", name="Place order").click()
    # then: 2 × 20.00 + 8.50 = 48.50, shipping 4.90, VAT 10.15 → 63.55
    page.wait_for_url(f"{live_server.url}/orders/*/")
    order = Order.objects.get()
    assert order.status == Order.Status.PLACED
    assert order.total_amount == Decimal("63.55")
    assert "63.55" in page.locator("[data-testid=order-total]").inner_text()
    assert "Grace Hopper" in page.locator("main").inner_text()
