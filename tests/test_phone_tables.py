"""At phone width (below Bootstrap's md) the import preview's Problems, the webhook list's Status and the
delivery log's event and status stay on screen: the less important columns are hidden there, not the
ones people came for (the log shows their facts under the event instead)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.webhooks.models import WebhookDelivery
from catalog.webhooks.services import create_webhook_endpoint
from config import roles
from orders.models import OrderImport
from tests.orders.factories import UserFactory
from tests.orders.test_order_import import csv_bytes, row, shop  # noqa: F401 (the shop fixture)

pytestmark = pytest.mark.django_db

PHONE_HIDDEN = "d-none d-md-table-cell"


def _headers(html: str, testid: str) -> dict[str, str]:
    """Each column header's text → its class attribute, for the table with this data-testid."""
    table = html[html.index(f'data-testid="{testid}"') :]
    thead = table[: table.index("</thead>")]
    return {
        re.sub(r"<[^>]+>", "", text).strip(): classes
        for classes, text in re.findall(r'<th scope="col"(?: class="([^"]*)")?>(.*?)</th>', thead)
    }


def _cells_hidden(html: str, testid: str) -> int:
    table = html[html.index(f'data-testid="{testid}"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return body.count(PHONE_HIDDEN)


def test_the_import_preview_keeps_reference_outcome_and_problems_on_a_phone(client, shop):  # noqa: F811
    # given
    client.force_login(UserFactory(role=roles.STAFF))
    upload = SimpleUploadedFile("export.csv", csv_bytes(row("MP-1", "TEE", 1), row("MP-2", "NOPE", 1)))
    client.post(reverse("orders:order-import"), {"file": upload})
    # when
    html = client.get(reverse("orders:order-import-detail", args=[OrderImport.objects.get().pk])).content.decode()
    # then
    headers = _headers(html, "preview-orders")
    for shown in ("Reference", "Outcome", "Problems"):
        assert "d-none" not in headers[shown]
    for hidden in ("Channel", "Customer", "Lines"):
        assert PHONE_HIDDEN in headers[hidden]
    assert _cells_hidden(html, "preview-orders") == 2 * 3  # the same three cells in each row
    assert 'class="d-md-none text-secondary small text-break">Ada Lovelace' in html  # the customer under the reference


def test_the_webhook_list_keeps_endpoint_status_and_failures_on_a_phone(client):
    # given
    client.force_login(UserFactory(role=roles.OWNER))
    create_webhook_endpoint(url="https://example.com/hooks", events=["order.placed"])
    # when
    html = client.get(reverse("webhooks:endpoint-list")).content.decode()
    # then
    headers = _headers(html, "endpoint-list")
    for shown in ("Endpoint", "Status", "Failed"):
        assert "d-none" not in headers[shown]
    for hidden in ("Events", "Delivered", "Pending", "Last event"):
        assert PHONE_HIDDEN in headers[hidden]
    assert _cells_hidden(html, "endpoint-list") == 4


def test_the_delivery_log_keeps_created_event_and_status_on_a_phone(client):
    # given
    client.force_login(UserFactory(role=roles.OWNER))
    endpoint = create_webhook_endpoint(url="https://example.com/hooks", events=["order.placed"])
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="order.placed", payload={"n": 1}, attempts=3, last_status_code=503, last_error="boom"
    )
    # when
    html = client.get(reverse("webhooks:delivery-list", args=[endpoint.pk])).content.decode()
    # then
    headers = _headers(html, "delivery-list")
    for shown in ("Created", "Event", "Status"):
        assert "d-none" not in headers[shown]
    for hidden in ("Code", "Duration", "Attempts", "Next attempt", "Error", "Actions"):
        assert PHONE_HIDDEN in headers[hidden]
    assert _cells_hidden(html, "delivery-list") == 6
    facts = html[html.index('data-testid="delivery-phone-facts"') :]
    facts = facts[: facts.index("<details")]
    assert "3 attempts" in facts and "code 503" in facts and "boom" in facts and "Redeliver" in facts
