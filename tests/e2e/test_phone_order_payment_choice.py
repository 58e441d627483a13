"""Journey: Staff takes a phone order to be picked up and paid at the store, with and without JavaScript."""

from decimal import Decimal

import pytest

from inventory.models import Location
from orders.models import Order, PaymentChoice
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    UserFactory(username="staff", role="Staff")
    phone = ChannelFactory(code="phone", name="Phone")
    store = LocationFactory(code="shop", name="Main Street shop", kind=Location.Kind.STORE, is_pickup_point=True)
    stocked_variant(channel=phone, location=store, on_hand=5, price=Decimal("8.50"), sku="MUG-WHT")
    return store


def _sign_in_and_add_a_mug(page, live_server):
    page.goto(f"{live_server.url}/login/?next=/orders/new/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/orders/new/")
    page.get_by_label("Add a product").fill("MUG-WHT")
    page.get_by_label("Add a product").press("Enter")
    page.wait_for_selector("[data-testid=entry-lines] >> text=MUG-WHT")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("E-mail").fill("grace@example.com")


def _offered(page) -> list[str]:
    return (
        page.get_by_label("How will the customer pay?")
        .locator("option")
        .evaluate_all("options => options.map(o => o.value)")
    )


def test_with_htmx_pay_at_pickup_appears_when_pickup_is_chosen(live_server, page, shop):
    # given
    _sign_in_and_add_a_mug(page, live_server)
    assert "at_pickup" not in _offered(page)
    # when pickup at the store is chosen, the ways to pay follow without a reload
    page.get_by_label("Pickup at a store").check()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#id_payment_choice option')].some(o => o.value === 'at_pickup')"
    )
    page.get_by_label("Pickup at", exact=True).select_option(label="Main Street shop")
    page.get_by_label("How will the customer pay?").select_option(value="at_pickup")
    page.get_by_role("button", name="Place order").click()
    # then
    page.wait_for_url(f"{live_server.url}/orders/*/")
    order = Order.objects.get()
    assert (order.payment_choice, order.pickup_location) == (PaymentChoice.AT_PICKUP, shop)
    assert "Customer chose: Pay at pickup" in page.locator("[data-testid=payment-choice]").inner_text()


def test_without_javascript_a_refusal_is_shown_by_the_field_then_fixed(live_server, browser, shop):
    # given a browser with JavaScript off
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in_and_add_a_mug(page, live_server)
        # when pickup is ticked but the page not updated, "pay at pickup" is not offered yet:
        # "Update totals" renders it, and it is chosen; then the delivery goes back to shipping
        page.get_by_label("Pickup at a store").check()
        page.get_by_role("button", name="Update totals").click()
        page.wait_for_load_state()
        assert "at_pickup" in _offered(page)
        page.get_by_label("How will the customer pay?").select_option(value="at_pickup")
        page.get_by_label("Ship to an address").check()
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_load_state()
        # then the refusal stands next to the field, and nothing was saved
        assert "Paying at pickup needs pickup at a store." in page.locator("#id_payment_choice_error").inner_text()
        assert not Order.objects.exists()
        # when it is fixed: pickup at the store again, and the draft saved
        page.get_by_label("Pickup at a store").check()
        page.get_by_label("Pickup at", exact=True).select_option(label="Main Street shop")
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_url(f"{live_server.url}/orders/new/*/")
        # then the resumed draft shows the choice, and placing it keeps it
        assert page.get_by_label("How will the customer pay?").input_value() == "at_pickup"
        page.get_by_role("button", name="Place order").click()
        page.wait_for_url(f"{live_server.url}/orders/*/")
        order = Order.objects.get()
        assert (order.status, order.payment_choice) == (Order.Status.PLACED, PaymentChoice.AT_PICKUP)
    finally:
        context.close()
