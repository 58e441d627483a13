"""axe-core on the back-office pages added later: discount codes, webhooks, the order import, API tokens, Settings.

The cart report is checked in test_accessibility.py. Each page is checked with something on it
(rows, badges, filter chips, errors next to fields), where most of the markup is.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import DiscountCode
from catalog.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from config import roles
from shipping.services.order_import import COLUMNS, create_order_import
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
from tests.e2e.test_accessibility import _serious_violations, _sign_in
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    """A page whose CSP lets the test inject axe (the application's own pages keep theirs)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def _csv(*rows: dict) -> bytes:
    lines = [",".join(COLUMNS), *(",".join(r.get(c, "") for c in COLUMNS) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def test_new_back_office_pages_have_no_serious_accessibility_violations(live_server, page):
    # given an owner, discount codes in several states, an endpoint with a delivery log,
    # and an import whose preview has a good and a refused order
    owner = UserFactory(username="owner", role=roles.OWNER)
    channel = ChannelFactory(code="marketplace", name="Marketplace")
    stocked_variant(channel=channel, sku="TEE", price=Decimal("20.00"))
    DiscountCodeFactory(code="WELCOME10", description="New customers")
    DiscountCodeFactory(code="FIVEOFF", kind=DiscountCode.Kind.FIXED, value=Decimal("5.00"), usage_limit=100)
    DiscountCodeFactory(code="SUMMER", is_active=False, channels=[channel])
    endpoint = WebhookEndpoint.objects.create(
        url="https://erp.example.com/hooks", description="ERP", events=[WebhookEvent.values[0]]
    )
    for status, code in ((DeliveryStatus.DELIVERED, 200), (DeliveryStatus.FAILED, 500), (DeliveryStatus.PENDING, None)):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=WebhookEvent.values[0],
            payload={"number": "1001"},
            status=status,
            attempts=1,
            last_status_code=code,
            last_error="HTTP 500" if code == 500 else "",
            last_attempt_at=timezone.now(),
        )
    address = {"email": "ada@example.com", "name": "Ada", "line1": "Geheimweg 7", "city": "Berlin",
               "postal_code": "10115", "country": "DE"}  # fmt: skip
    job = create_order_import(
        filename="export.csv",
        raw=_csv(
            {"external_reference": "MP-1", "channel": "marketplace", "sku": "TEE", "quantity": "1", **address},
            {"external_reference": "MP-2", "channel": "marketplace", "sku": "NOPE", "quantity": "x", **address},
        ),
        by=owner,
    )
    _sign_in(page, live_server, "owner")
    # when every page is opened (lists, forms, a filtered list with chips)
    found = {}
    paths = (
        "/catalog/discounts/",
        "/catalog/discounts/?state=inactive&q=SUM",
        "/catalog/discounts/new/",
        "/settings/webhooks/",
        "/settings/webhooks/new/",
        f"/settings/webhooks/{endpoint.pk}/",
        f"/settings/webhooks/{endpoint.pk}/deliveries/",
        f"/settings/webhooks/{endpoint.pk}/deliveries/?status=failed",
        "/orders/import/",
        f"/orders/import/{job.pk}/",
        "/settings/api-tokens/",
        "/settings/",
    )
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        found[path] = _serious_violations(page)
    # and the discount form is sent empty, so its errors stand next to the fields
    page.goto(f"{live_server.url}/catalog/discounts/new/")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("form-errors").is_visible()
    found["/catalog/discounts/new/ (errors)"] = _serious_violations(page)
    # then axe finds nothing serious on any of them
    assert found == {path: [] for path in found}
