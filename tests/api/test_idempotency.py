"""Idempotency-Key (IETF draft): replay, 422 on another body, 409 while in progress, scope per user, purge."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.api.idempotency import fingerprint
from orders.models import IdempotencyKey, Order
from tests.api.conftest import client_for, order_body

pytestmark = pytest.mark.django_db


def test_same_key_same_body_replays_the_first_answer_and_creates_nothing(shop, staff_api):
    # given
    first = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # when
    second = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # then
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.DONE


def test_key_order_and_spacing_of_the_json_do_not_matter(shop, staff_api):
    body = '{"channel": "marketplace", "customer": {"name": "Ada Lo", "email": "a@example.com"}, "lines": [{"sku": "MUG-RED", "quantity": 1}]}'
    reordered = '{"lines":[{"quantity":1,"sku":"MUG-RED"}],"customer":{"email":"a@example.com","name":"Ada Lo"},"channel":"marketplace"}'
    first = staff_api.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    second = staff_api.post("/api/v1/orders/", reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == 201 and second.status_code == 201
    assert Order.objects.count() == 1


def test_same_key_other_body_is_422_and_creates_nothing(shop, staff_api):
    staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = order_body(lines=[{"sku": "MUG-RED", "quantity": 1}])
    response = staff_api.post("/api/v1/orders/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(shop, staff_api):
    number = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-3").json()["number"]
    response = staff_api.post(
        f"/api/v1/orders/{number}/payments/",
        {"method": "cash", "amount": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert response.status_code == 422


def test_a_repeat_while_the_first_is_in_progress_is_409(shop, staff_api):
    # given: a claim left in progress, as while the first request is being handled
    body = order_body()
    import json

    IdempotencyKey.objects.create(
        user=staff_api.user,
        key="k-4",
        fingerprint=fingerprint(method="POST", path="/api/v1/orders/", body=json.dumps(body).encode()),
        method="POST",
        path="/api/v1/orders/",
    )
    # when
    response = staff_api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert response["Retry-After"] == "1"
    assert not Order.objects.exists()


def test_a_refused_request_releases_the_key_so_a_corrected_retry_goes_on(shop, staff_api):
    bad = order_body(lines=[{"sku": "TEE-M", "quantity": 50}])
    assert staff_api.post("/api/v1/orders/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-5").status_code == 409
    assert not IdempotencyKey.objects.exists()
    assert staff_api.post("/api/v1/orders/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-5").status_code == 409
    good = order_body(lines=[{"sku": "TEE-M", "quantity": 1}])
    assert staff_api.post("/api/v1/orders/", good, format="json", HTTP_IDEMPOTENCY_KEY="k-5").status_code == 201


def test_keys_are_scoped_per_token_user(shop, staff_api):
    other = client_for("Staff", username="other-staff")
    first = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    second = other.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_a_bad_key_is_400(shop, staff_api, key):
    response = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Order.objects.exists()


def test_purge_keeps_a_day_at_least_and_deletes_older(shop, staff_api, settings):
    settings.API_IDEMPOTENCY_KEEP_HOURS = 1  # never less than 24 h
    staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="recent")
    old = IdempotencyKey.objects.create(
        user=staff_api.user, key="old", fingerprint="0" * 64, method="POST", path="/api/v1/orders/"
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    call_command("purge_idempotency_keys")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


def test_an_expired_key_is_claimed_afresh(shop, staff_api):
    staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-6")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=30))
    response = staff_api.post("/api/v1/orders/", order_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-6")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Order.objects.count() == 2
