import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Payment
from billing.providers import sign
from orders.models import Order
from tests.billing.factories import placed_order

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def _post(client, payload: dict, *, timestamp: int | None = None, secret: str = SECRET, body: bytes | None = None):
    body = body if body is not None else json.dumps(payload).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        reverse("billing:payment-webhook", args=["webhook"]),
        data=body,
        content_type="application/json",
        HTTP_X_BACKROOM_TIMESTAMP=stamp,
        HTTP_X_BACKROOM_SIGNATURE=sign(secret=secret, timestamp=stamp, body=body),
    )


def test_a_signed_confirmation_pays_the_order_once(client):
    # given
    order = placed_order(prices=[Decimal("10.00")])
    payload = {"id": "pay_1", "order": order.number, "amount": "11.90", "currency": "EUR", "status": "succeeded"}
    # when
    first = _post(client, payload)
    again = _post(client, payload)
    # then
    assert first.status_code == 200 and first.json()["status"] == "recorded"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    payment = Payment.objects.get()
    assert (payment.method, payment.provider, payment.provider_payment_id) == ("online", "webhook", "pay_1")


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "wrong"}, 401),
        ({"age": 301}, 401),
        ({"age": -400}, 401),
        ({"body": b"not json"}, 400),
    ],
)
def test_bad_signature_replay_or_garbage_changes_nothing(client, kwargs, status):
    order = placed_order(prices=[Decimal("10.00")])
    payload = {"id": "pay_2", "order": order.number, "amount": "11.90", "currency": "EUR"}
    if "age" in kwargs:  # seconds before now, taken when the test runs (not when it is collected)
        kwargs = {"timestamp": int(time.time()) - kwargs["age"]}
    response = _post(client, payload, **kwargs)
    assert response.status_code == status
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID


def test_a_confirmation_that_does_not_check_out_is_refused(client):
    order = placed_order(prices=[Decimal("10.00")])
    response = _post(client, {"id": "pay_3", "order": order.number, "amount": "11.90", "currency": "USD"})
    assert response.status_code == 400
    assert "USD" in response.json()["error"]
    assert not Payment.objects.exists()


def test_a_failed_attempt_is_kept_without_paying(client):
    order = placed_order(prices=[Decimal("10.00")])
    payload = {"id": "pay_4", "order": order.number, "amount": "11.90", "currency": "EUR", "status": "failed"}
    assert _post(client, payload).status_code == 200
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.UNPAID
    assert Payment.objects.get().status == Payment.Status.FAILED
