"""The Owner's webhook pages: endpoints, the secret, test events, the delivery log and redelivery."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.webhooks.models import WebhookDelivery, WebhookEndpoint
from catalog.webhooks.services import create_webhook_endpoint
from config import roles
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    """The pages queue deliveries; sending them is tested in test_webhooks."""
    monkeypatch.setattr("catalog.webhooks.services._enqueue", lambda ids: None)


@pytest.fixture
def owner_client(client):
    client.force_login(UserFactory(role=roles.OWNER))
    return client


@pytest.fixture
def hook():
    return create_webhook_endpoint(url="https://example.com/hooks", events=["order.placed", "order.paid"])


def test_the_owner_adds_an_endpoint_and_sees_its_secret(owner_client):
    # when
    response = owner_client.post(
        reverse("webhooks:endpoint-create"),
        {
            "url": "https://erp.example.com/in",
            "description": "ERP",
            "events": ["order.placed", "stock.low"],
            "is_active": "on",
        },
    )
    # then
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == reverse("webhooks:endpoint-edit", args=[endpoint.pk])
    assert endpoint.events == ["order.placed", "stock.low"] and endpoint.is_active
    page = owner_client.get(response.url).content.decode()
    assert endpoint.secret in page and endpoint.secret.startswith("whsec_")
    listing = owner_client.get(reverse("webhooks:endpoint-list")).content.decode()
    assert "ERP" in listing and "https://erp.example.com/in" in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ftp://example.com/x", "events": ["order.paid"]}, "must start with http:// or https://"),
        ({"url": "not a url at all", "events": ["order.paid"]}, "Enter a valid URL"),
        ({"url": "https://example.com/x"}, "Choose at least one event"),
        ({"url": "https://example.com/x", "events": ["order.exploded"]}, "Select a valid choice"),
        ({"url": "https://example.com/" + "x" * 600, "events": ["order.paid"]}, "at most 500"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_saves_nothing(owner_client, data, message):
    response = owner_client.post(reverse("webhooks:endpoint-create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_editing_keeps_the_secret_and_switching_off_is_saved(owner_client, hook):
    secret = hook.secret
    response = owner_client.post(
        reverse("webhooks:endpoint-edit", args=[hook.pk]), {"url": "https://example.com/v2", "events": ["order.paid"]}
    )
    hook.refresh_from_db()
    assert response.status_code == 302
    assert (hook.url, hook.events, hook.is_active, hook.secret) == (
        "https://example.com/v2",
        ["order.paid"],
        False,
        secret,
    )


def test_a_new_secret_can_be_made(owner_client, hook):
    old = hook.secret
    owner_client.post(reverse("webhooks:endpoint-rotate-secret", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old


def test_send_test_event_queues_a_delivery_shown_in_the_log(owner_client, hook):
    response = owner_client.post(reverse("webhooks:endpoint-test", args=[hook.pk]))
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "webhook.test" and delivery.endpoint == hook
    log = owner_client.get(reverse("webhooks:delivery-list", args=[hook.pk])).content.decode()
    assert "webhook.test" in log and "Pending" in log


def test_the_log_filters_and_paginates(owner_client, hook):
    # given: 60 delivered order.placed and one failed order.paid
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=hook,
            event="order.placed",
            status="delivered",
            attempts=1,
            last_status_code=200,
            last_duration_ms=12,
            created_at=now - timedelta(minutes=i),
        )
        for i in range(60)
    )
    WebhookDelivery.objects.create(
        endpoint=hook,
        event="order.paid",
        status="failed",
        attempts=29,
        last_status_code=503,
        last_error="The endpoint answered 503.",
    )
    url = reverse("webhooks:delivery-list", args=[hook.pk])
    # when / then
    first = owner_client.get(url)
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.count == 61
    failed = owner_client.get(url, {"status": "failed"})
    assert [d.event for d in failed.context["page"].object_list] == ["order.paid"]
    assert "The endpoint answered 503." in failed.content.decode()
    paid = owner_client.get(url, {"event": "order.paid", "status": "delivered"})
    assert list(paid.context["page"].object_list) == []
    bogus = owner_client.get(url, {"status": "exploded", "page": "zzz"})
    assert bogus.status_code == 200


def test_redeliver_queues_the_same_event_again(owner_client, hook):
    original = WebhookDelivery.objects.create(
        endpoint=hook, event="order.paid", status="failed", attempts=29, payload={"number": "1001"}
    )
    response = owner_client.post(reverse("webhooks:delivery-redeliver", args=[hook.pk, original.pk]))
    assert response.status_code == 302
    again = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert (again.event_id, again.payload, again.status, again.attempts) == (
        original.event_id,
        {"number": "1001"},
        "pending",
        0,
    )


def test_redeliver_of_another_endpoints_delivery_is_not_found(owner_client, hook):
    other = create_webhook_endpoint(url="https://example.org/x", events=["order.paid"])
    delivery = WebhookDelivery.objects.create(endpoint=other, event="order.paid")
    response = owner_client.post(reverse("webhooks:delivery-redeliver", args=[hook.pk, delivery.pk]))
    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("role", [roles.STAFF, roles.WAREHOUSE])
def test_only_the_owner_reaches_the_webhook_pages(client, hook, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("webhooks:endpoint-list")).status_code == 403
    assert client.get(reverse("webhooks:endpoint-edit", args=[hook.pk])).status_code == 403
    assert client.post(reverse("webhooks:endpoint-test", args=[hook.pk])).status_code == 403
    assert not WebhookDelivery.objects.exists()
