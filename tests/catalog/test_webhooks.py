"""Outgoing webhooks: emitted by the real services, signed, retried with backoff, given up, redelivered.

The receiver is a tiny ``http.server`` on loopback in a thread; it checks each signature
with the endpoint's secret, as a real receiver would.
"""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from catalog.tasks import send_due_webhook_deliveries
from catalog.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from catalog.webhooks.services import (
    RETRY_WINDOW,
    WebhookError,
    create_webhook_endpoint,
    emit_webhook_event,
    redeliver_webhook,
    retry_delay,
    send_test_webhook,
    send_webhook_delivery,
    sign_webhook,
)
from inventory.services import adjust_stock, receive_stock
from orders.services import cancel_order
from shipping.services import create_shipment, mark_shipped, record_tracking_event
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.shipping.factories import pay, placed_order

pytestmark = pytest.mark.django_db


class Receiver:
    """Answers with the next code of ``codes`` (the last one repeats) and keeps what it got."""

    def __init__(self, codes=(200,), delay: float = 0.0):
        self.codes = list(codes)
        self.delay = delay
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, request: dict) -> bool:
    """What the README tells a receiver to do."""
    timestamp = request["headers"]["X-Backroom-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + expected, request["headers"]["X-Backroom-Signature"])


def endpoint(url="http://127.0.0.1:9/hooks", events=tuple(WebhookEvent.values), **kwargs) -> WebhookEndpoint:
    return create_webhook_endpoint(url=url, events=list(events), **kwargs)


# ------------------------------------------------------------------------------
# Emitting and signing
# ------------------------------------------------------------------------------
def test_an_event_reaches_each_subscribed_endpoint_once_signed(django_capture_on_commit_callbacks):
    # given
    with Receiver() as receiver:
        listening = endpoint(url=receiver.url, events=["order.placed"])
        endpoint(url=receiver.url, events=["stock.low"])
        endpoint(url=receiver.url, events=["order.placed"], is_active=False)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = emit_webhook_event(event="order.placed", payload={"number": "1001", "total": "12.30"})
    # then
    assert len(deliveries) == 1
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(listening.secret, request)
    assert not verify("whsec_wrong", request)
    body = json.loads(request["body"])
    assert body["event"] == "order.placed"
    assert body["data"] == {"number": "1001", "total": "12.30"}
    assert body["id"] == request["headers"]["X-Backroom-Event-Id"]
    assert request["headers"]["X-Backroom-Event"] == "order.placed"
    assert request["headers"]["X-Backroom-Delivery"] == str(deliveries[0].pk)
    assert request["headers"]["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (1, 200, None)
    assert delivery.last_duration_ms is not None and delivery.delivered_at is not None


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    assert sign_webhook(secret="s", timestamp="1700000000", body=b"{}") == (
        "sha256=" + hmac.new(b"s", b"1700000000.{}", hashlib.sha256).hexdigest()
    )


def test_a_rolled_back_transaction_announces_nothing(django_capture_on_commit_callbacks):
    # given
    endpoint(events=["order.placed"])
    # when
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emit_webhook_event(event="order.placed", payload={"number": "1"})
        raise RuntimeError
    # then
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_nobody_listening_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert emit_webhook_event(event="order.paid", payload={}) == []


def test_unknown_events_and_bad_urls_are_refused():
    with pytest.raises(WebhookError):
        emit_webhook_event(event="order.exploded", payload={})
    with pytest.raises(WebhookError) as error:
        create_webhook_endpoint(url="ftp://example.com/x", events=["order.paid"])
    assert error.value.field == "url"
    with pytest.raises(WebhookError) as error:
        create_webhook_endpoint(url="https://example.com/x", events=[])
    assert error.value.field == "events"
    assert not WebhookEndpoint.objects.exists()


# ------------------------------------------------------------------------------
# Retries, giving up, redelivery
# ------------------------------------------------------------------------------
def test_a_failing_receiver_is_retried_with_backoff_until_it_answers():
    # given: the receiver fails twice, then accepts
    t0 = timezone.now()
    with Receiver(codes=(500, 503, 204)) as receiver:
        endpoint(url=receiver.url, events=["order.paid"])
        (delivery,) = emit_webhook_event(event="order.paid", payload={"number": "1001"}, now=t0)
        # when / then: the first attempt fails, the next is a minute later
        assert send_webhook_delivery(delivery_id=delivery.pk, now=t0) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status_code) == (1, 500)
        assert delivery.next_attempt_at == t0 + timedelta(minutes=1)
        assert "500" in delivery.last_error
        # not due yet: nothing is sent
        assert send_webhook_delivery(delivery_id=delivery.pk, now=t0 + timedelta(seconds=59)) is None
        # the second fails: two minutes more
        assert send_webhook_delivery(delivery_id=delivery.pk, now=t0 + timedelta(minutes=1)) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == t0 + timedelta(minutes=3)
        # the third succeeds
        assert send_webhook_delivery(delivery_id=delivery.pk, now=t0 + timedelta(minutes=3)) == DeliveryStatus.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 204)
    assert len(receiver.requests) == 3
    assert {r["headers"]["X-Backroom-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert len({r["body"] for r in receiver.requests}) == 1  # the same event each time


def test_backoff_doubles_from_a_minute_and_is_capped_at_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 7, 8, 30)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_a_delivery_is_given_up_after_a_day():
    # given: nothing listens on the port (connection refused)
    t0 = timezone.now()
    endpoint(url="http://127.0.0.1:9/hooks", events=["stock.low"])
    (delivery,) = emit_webhook_event(event="stock.low", payload={"sku": "A"}, now=t0)
    # when: every attempt is made when it is due
    now, attempts_at = t0, []
    while True:
        status = send_webhook_delivery(delivery_id=delivery.pk, now=now)
        attempts_at.append(now)
        delivery.refresh_from_db()
        if status != DeliveryStatus.PENDING:
            break
        now = delivery.next_attempt_at
    # then
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code is None and delivery.last_error
    assert attempts_at[-1] <= t0 + RETRY_WINDOW
    assert attempts_at[-1] > t0 + RETRY_WINDOW - timedelta(hours=1)
    assert delivery.attempts == len(attempts_at) > 20
    # and the beat task leaves it alone
    assert send_webhook_delivery(delivery_id=delivery.pk, now=now + timedelta(days=1)) is None


def test_the_beat_task_sends_what_is_due_and_gives_up_what_is_stale():
    # given
    with Receiver(codes=(200,)) as receiver:
        hook = endpoint(url=receiver.url, events=["order.paid"])
        (due,) = emit_webhook_event(event="order.paid", payload={"n": 1})
        (later,) = emit_webhook_event(event="order.paid", payload={"n": 2})
        WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
        stale = WebhookDelivery.objects.create(
            endpoint=hook, event="order.paid", created_at=timezone.now() - timedelta(days=2), next_attempt_at=None
        )
        # when
        send_due_webhook_deliveries()
    # then
    assert [json.loads(r["body"])["data"] for r in receiver.requests] == [{"n": 1}]
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "delivered", later.pk: "pending", stale.pk: "failed"}


def test_redeliver_sends_the_same_event_again(django_capture_on_commit_callbacks):
    # given
    with Receiver(codes=(200,)) as receiver:
        hook = endpoint(url=receiver.url, events=["order.cancelled"])
        with django_capture_on_commit_callbacks(execute=True):
            (first,) = emit_webhook_event(event="order.cancelled", payload={"number": "1001"})
        # when
        with django_capture_on_commit_callbacks(execute=True):
            again = redeliver_webhook(delivery=first)
    # then
    assert again.pk != first.pk
    assert WebhookDelivery.objects.get(pk=again.pk).status == DeliveryStatus.DELIVERED
    first_body, second_body = (json.loads(r["body"]) for r in receiver.requests)
    # same event id, same payload: the receiver can deduplicate
    assert (first_body["id"], first_body["data"]) == (second_body["id"], second_body["data"])
    assert all(verify(hook.secret, r) for r in receiver.requests)


def test_a_test_event_goes_to_that_endpoint_whatever_it_subscribes_to(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook = endpoint(url=receiver.url, events=["stock.low"])
        with django_capture_on_commit_callbacks(execute=True):
            send_test_webhook(endpoint=hook)
    assert receiver.requests[0]["headers"]["X-Backroom-Event"] == "webhook.test"
    assert verify(hook.secret, receiver.requests[0])


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_attempt(monkeypatch):
    # given: a slow receiver and two workers released at the same moment (no send at emit)
    monkeypatch.setattr("catalog.webhooks.services._enqueue", lambda ids: None)
    with Receiver(codes=(200,), delay=0.3) as receiver:
        endpoint(url=receiver.url, events=["order.placed"])
        (delivery,) = emit_webhook_event(event="order.placed", payload={"number": "1"})
        barrier = threading.Barrier(2)
        results = []

        def worker():
            try:
                barrier.wait()
                results.append(send_webhook_delivery(delivery_id=delivery.pk))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        # when
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # then
    assert len(receiver.requests) == 1
    assert sorted(results, key=str) == [None, DeliveryStatus.DELIVERED]
    assert WebhookDelivery.objects.get().attempts == 1


# ------------------------------------------------------------------------------
# Emitted by the real services
# ------------------------------------------------------------------------------
def _events():
    return list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))


def test_order_placed_paid_and_cancelled_are_emitted_by_the_order_services():
    # given
    endpoint()
    # when
    order = placed_order(quantities=(2,))
    # then
    delivery = WebhookDelivery.objects.get(event="order.placed")
    data = delivery.payload
    assert data["number"] == order.number and data["tracking_code"] == order.tracking_code
    assert data["currency"] == order.currency and data["total"] == f"{order.total_amount:.2f}"
    assert data["lines"][0]["quantity"] == 2 and data["lines"][0]["sku"] == order.lines.get().sku
    # when paid
    pay(order)
    assert WebhookDelivery.objects.get(event="order.paid").payload["payment_status"] == "paid"
    # when another is cancelled
    other = placed_order(quantities=(1,))
    cancel_order(order=other, reason="Customer changed their mind")
    assert WebhookDelivery.objects.get(event="order.cancelled").payload["status"] == "cancelled"
    assert _events() == ["order.placed", "order.paid", "order.placed", "order.cancelled"]


def test_a_refused_order_announces_nothing():
    from inventory.exceptions import InsufficientStock

    endpoint()
    with pytest.raises(InsufficientStock):
        placed_order(quantities=(50,), on_hand=3)
    assert not WebhookDelivery.objects.exists()


def test_shipment_shipped_and_delivered_are_emitted_by_shipping():
    # given
    warehouse = LocationFactory(code="warehouse")
    order = placed_order(quantities=(1,), location=warehouse)
    pay(order)
    endpoint(events=["shipment.shipped", "shipment.delivered"])
    shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.get(), 1)])
    # when
    mark_shipped(shipment=shipment, carrier="DHL", tracking_number="JD0001")
    record_tracking_event(shipment=shipment, status="in_transit", occurred_at=timezone.now())
    record_tracking_event(shipment=shipment, status="delivered", occurred_at=timezone.now())
    # then
    assert _events() == ["shipment.shipped", "shipment.delivered"]
    shipped, delivered = WebhookDelivery.objects.order_by("pk")
    assert shipped.payload["tracking_number"] == "JD0001" and shipped.payload["order_number"] == order.number
    assert shipped.payload["lines"] == [{"sku": order.lines.get().sku, "quantity": 1}]
    assert delivered.payload["status"] == "delivered" and delivered.payload["delivered_at"]


def test_stock_low_is_emitted_once_per_crossing():
    # given: threshold 5, 8 on hand
    location = LocationFactory(code="warehouse")
    variant = stocked_variant(location=location, on_hand=8, low_stock_threshold=5)
    endpoint(events=["stock.low"])
    # when: 8 -> 6 (above), 6 -> 5 (crossing), 5 -> 3 (still low)
    adjust_stock(variant=variant, location=location, delta=-2, reason="damaged")
    assert _events() == []
    adjust_stock(variant=variant, location=location, delta=-1, reason="damaged")
    adjust_stock(variant=variant, location=location, delta=-2, reason="damaged")
    # then
    assert _events() == ["stock.low"]
    assert WebhookDelivery.objects.get().payload == {
        "sku": variant.sku,
        "location": "warehouse",
        "on_hand": 5,
        "reserved": 0,
        "available": 5,
        "threshold": 5,
    }
    # when restocked and sold down again: a second crossing
    receive_stock(variant=variant, location=location, quantity=10)
    placed_order_for(variant, quantity=9)
    assert _events() == ["stock.low", "stock.low"]
    assert WebhookDelivery.objects.order_by("pk").last().payload["available"] == 4


def placed_order_for(variant, *, quantity):
    from orders.services import LineInput, place_order

    return place_order(channel=variant.product.channels.get(), lines=[LineInput(variant=variant, quantity=quantity)])
