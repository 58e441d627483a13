"""axe-core on the pages merchants live in: no serious or critical violation."""

from decimal import Decimal
from pathlib import Path

import pytest

from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def _serious_violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def page(browser):
    """A page whose CSP lets the test inject axe (the application's own pages keep theirs)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_back_office_pages_have_no_serious_accessibility_violations(live_server, page):
    # given an owner and an order with two lines
    UserFactory(username="owner", role="Owner")
    channel = ChannelFactory(code="phone", name="Phone")
    a = stocked_variant(channel=channel, price=Decimal("19.90"))
    b = stocked_variant(channel=channel, price=Decimal("4.50"))
    order = place_order(
        channel=channel,
        customer=CustomerFactory(),
        lines=[LineInput(variant=a, quantity=1), LineInput(variant=b, quantity=2)],
    )
    _sign_in(page, live_server, "owner")
    # when / then
    found = {}
    cart_report_with_errors = "/carts/report/?date_from=2026-05-10&date_to=2026-05-01"
    for path in ("/", "/orders/", f"/orders/{order.number}/", "/orders/new/", "/stock/", "/carts/report/",
                 cart_report_with_errors):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        found[path] = _serious_violations(page)
    assert found == {path: [] for path in found}
