"""Journey 4 in a browser: a customer shops the web storefront, checks out with pickup, and the
owner sees the order in the back-office list and the dashboard feed. axe-core checks the
catalogue, product, cart and checkout pages."""

from decimal import Decimal
from pathlib import Path

import pytest

from inventory.models import Location
from orders.models import Order
from shipping.models import ShippingMethod
from tests.catalog.factories import CategoryFactory, ChannelFactory, ProductFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


@pytest.fixture
def page(browser):
    """A page whose CSP lets the test inject axe (the application's own pages keep theirs)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _serious_violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_customer_orders_two_products_for_pickup_and_the_owner_sees_it(live_server, page):
    # given a web shop with two products in stock at a shop that is a pickup point
    UserFactory(username="owner", role="Owner")
    web = ChannelFactory(code="web", name="Web shop", kind="web")
    shop = LocationFactory(code="shop", name="Main Street shop", kind=Location.Kind.STORE, is_pickup_point=True)
    shop.channels.add(web)
    ShippingMethod.objects.create(code="pickup", name="Pickup", kind=ShippingMethod.Kind.PICKUP)
    ShippingMethod.objects.create(code="parcel", name="Parcel", price_amount=Decimal("4.90"))
    category = CategoryFactory(name="Shirts")
    shirt = stocked_variant(
        channel=web,
        location=shop,
        on_hand=2,
        price=Decimal("30.00"),
        product=ProductFactory(name="Linen shirt", category=category),
    )
    mug = stocked_variant(
        channel=web, location=shop, on_hand=20, price=Decimal("8.00"), product=ProductFactory(name="Stoneware mug")
    )
    violations = {}

    # when the customer browses: the catalogue and a category
    page.goto(f"{live_server.url}/shop/")
    assert page.get_by_role("link", name="Linen shirt").is_visible()
    violations["catalogue"] = _serious_violations(page)
    page.get_by_role("link", name="Shirts").first.click()
    page.get_by_role("link", name="Linen shirt").click()
    page.wait_for_url(f"**/shop/p/{shirt.product.slug}/")
    assert page.get_by_text("Only 2 left").is_visible()
    violations["product"] = _serious_violations(page)
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=added to your cart")
    # the second product, found by searching
    page.get_by_label("Search products").fill("mug")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Stoneware mug").click()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_selector("text=added to your cart")
    page.get_by_role("link", name="View cart").click()
    page.wait_for_url("**/shop/cart/")
    assert page.locator("#shop-cart-count").inner_text() == "3"
    violations["cart"] = _serious_violations(page)
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url("**/shop/checkout/")
    violations["checkout"] = _serious_violations(page)
    page.get_by_label("E-mail", exact=True).fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_text("Pickup: Main Street shop").click()
    page.get_by_text("Pay at pickup").click()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/shop/order/**")

    # then one order, reserved, with a confirmation page
    order = Order.objects.get()
    assert order.channel == web and order.pickup_location == shop
    assert sorted((line.sku, line.quantity) for line in order.lines.all()) == sorted([(shirt.sku, 1), (mug.sku, 2)])
    assert page.get_by_role("heading", name=f"order {order.number}").is_visible()
    # and the owner sees it in the order list and in the dashboard feed
    owner = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    back = owner.new_page()
    back.goto(f"{live_server.url}/login/")
    back.get_by_label("Username").fill("owner")
    back.get_by_label("Password").fill("correct horse battery staple")
    back.get_by_role("button", name="Log in").click()
    back.wait_for_url(f"{live_server.url}/")
    assert back.get_by_text(f"Order {order.number} placed by Ada Lovelace").first.is_visible()
    back.goto(f"{live_server.url}/orders/")
    assert back.get_by_role("link", name=order.number).first.is_visible()
    owner.close()
    assert violations == {name: [] for name in violations}
