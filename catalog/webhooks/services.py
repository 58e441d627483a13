"""Outgoing webhooks: emit an event, send it signed, retry it, redeliver it.

Emitting (``emit_webhook_event``) writes one ``WebhookDelivery`` per subscribed endpoint in
the caller's transaction and enqueues the first send after commit: an order that rolls
back announces nothing. Sending (``send_webhook_delivery``) claims one attempt with a
guarded UPDATE, POSTs outside any transaction, and records the answer; a failure schedules
the next attempt with exponential backoff (1 minute, doubling, at most an hour apart) until
a day has passed since the event, then the delivery is marked failed. The retries are
picked up by a beat task every minute (``send_due_webhook_deliveries``), not by long
countdowns, which Redis would redeliver after its visibility timeout.

The signature: ``X-Backroom-Signature: sha256=<hex>`` where hex is the HMAC-SHA256, keyed
with the endpoint's secret, of ``<X-Backroom-Timestamp> + "." + <raw body>``.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log
from catalog.webhooks.models import (
    TEST_EVENT,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_webhook_secret,
)

# A delivery is retried for this long after the event, then given up.
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
# While an attempt is in flight its delivery is not due: if the worker dies mid-send, the beat
# task tries again after this long (the receiver deduplicates on X-Backroom-Delivery).
IN_FLIGHT_LEASE = timedelta(minutes=5)
USER_AGENT = "Backroom-Webhooks/1"


class WebhookError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------
# Endpoints
# ------------------------------------------------------------------------------
def _check_endpoint(*, url: str, events: list[str]) -> list[str]:
    if not url.lower().startswith(("http://", "https://")):
        raise WebhookError(_("The URL must start with http:// or https://."), field="url")
    unknown = [event for event in events if event not in WebhookEvent.values]
    if unknown:
        raise WebhookError(_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}, field="events")
    if not events:
        raise WebhookError(_("Choose at least one event."), field="events")
    return [event for event in WebhookEvent.values if event in events]  # stable order, no duplicates


@transaction.atomic
def create_webhook_endpoint(
    *, url: str, events: list[str], description: str = "", is_active: bool = True, by=None
) -> WebhookEndpoint:
    events = _check_endpoint(url=url.strip(), events=list(events))
    return WebhookEndpoint.objects.create(
        url=url.strip(), events=events, description=description.strip(), is_active=is_active, created_by=by
    )


@transaction.atomic
def update_webhook_endpoint(
    *, endpoint: WebhookEndpoint, url: str, events: list[str], description: str = "", is_active: bool = True
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.events = _check_endpoint(url=url.strip(), events=list(events))
    endpoint.url, endpoint.description, endpoint.is_active = url.strip(), description.strip(), is_active
    endpoint.save(update_fields=["url", "events", "description", "is_active", "updated_at"])
    return endpoint


@transaction.atomic
def rotate_webhook_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; deliveries sent from now on are signed with it."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


# ------------------------------------------------------------------------------
# Emitting
# ------------------------------------------------------------------------------
def _enqueue(delivery_ids: list[int]) -> None:
    """After commit (``on_commit_or_log``): a broker down then must not fail the caller's committed
    work; the deliveries stay due in the database and the beat task sends them."""
    from catalog.tasks import send_webhook_delivery as send_webhook_delivery_task

    for delivery_id in delivery_ids:
        send_webhook_delivery_task.delay(delivery_id=delivery_id)


def emit_webhook_event(
    *, event: str, payload: dict | Callable[[], dict], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Record ``event`` for every active endpoint that subscribes to it; send after commit.

    Costs one query when nobody listens (the active endpoints) and one INSERT when someone
    does; ``payload`` may be a function, called only then. It must give JSON: decimals as
    strings, dates as ISO 8601. No savepoint of its own: it runs inside the caller's
    transaction (often while stock rows are locked), and its one INSERT is atomic.
    """
    if event not in WebhookEvent.values:
        raise WebhookError(_("Unknown webhook event %(event)s.") % {"event": event})
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events")
        if event in events
    ]
    if not endpoint_ids:
        return []
    now = now or timezone.now()
    event_id = uuid.uuid4()
    if callable(payload):
        payload = payload()
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint_id=pk, event=event, event_id=event_id, payload=payload, created_at=now, next_attempt_at=now
        )
        for pk in endpoint_ids
    )
    on_commit_or_log(_enqueue, [d.pk for d in deliveries])
    return deliveries


@transaction.atomic
def send_test_webhook(*, endpoint: WebhookEndpoint, by=None) -> WebhookDelivery:
    """A ``webhook.test`` delivery to this endpoint alone, whatever it subscribes to."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=TEST_EVENT,
        payload={"message": "This is a test event from Backroom.", "endpoint_id": endpoint.pk},
        created_at=now,
        next_attempt_at=now,
    )
    on_commit_or_log(_enqueue, [delivery.pk])
    return delivery


@transaction.atomic
def redeliver_webhook(*, delivery: WebhookDelivery, by=None) -> WebhookDelivery:
    """Send the same event (same event id and payload) again, as a new delivery with a fresh day of retries."""
    now = timezone.now()
    copy = WebhookDelivery.objects.create(
        endpoint_id=delivery.endpoint_id,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        created_at=now,
        next_attempt_at=now,
    )
    on_commit_or_log(_enqueue, [copy.pk])
    return copy


# ------------------------------------------------------------------------------
# Sending
# ------------------------------------------------------------------------------
def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The JSON POSTed: the event's envelope around the payload, the same bytes on every attempt."""
    envelope = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def sign_webhook(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4, 8 … minutes, at most an hour."""
    return min(FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: it is recorded as a failure with its code."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the status code; network errors raise OSError."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - URL set by the owner
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(1024)
            return response.status
    except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx: an answer with a status code
        return exc.code


def _claim(delivery_id: int, *, now: datetime) -> WebhookDelivery | None:
    """Take the next attempt of a due delivery, or None if it is not due or another worker took it."""
    current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first()
    if current is None:
        return None
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        attempts=current,
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + IN_FLIGHT_LEASE, last_attempt_at=now)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def send_webhook_delivery(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Make the next attempt of a delivery if it is due; returns its status after, or None if not sent.

    Runs outside any transaction: the claim commits before the POST, the result after it.
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, now=now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = webhook_body(delivery)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Backroom-Event": delivery.event,
        "X-Backroom-Event-Id": str(delivery.event_id),
        "X-Backroom-Delivery": str(delivery.pk),
        "X-Backroom-Timestamp": timestamp,
        "X-Backroom-Signature": sign_webhook(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    code, error = None, ""
    started = time.monotonic()
    if not endpoint.is_active:
        error = _("The endpoint is switched off.")
    else:
        try:
            code = _post(endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS)
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, TLS, malformed URL
            error = str(getattr(exc, "reason", exc)) or exc.__class__.__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record_attempt(delivery, code=code, error=error, duration_ms=duration_ms, now=now)


def _record_attempt(delivery: WebhookDelivery, *, code: int | None, error: str, duration_ms: int, now: datetime) -> str:
    fields = {"last_status_code": code, "last_duration_ms": duration_ms}
    if code is not None and 200 <= code < 300:
        fields |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now, "next_attempt_at": None, "last_error": ""}
    else:
        if not error:
            error = _("The endpoint answered %(code)s.") % {"code": code}
        next_at = now + retry_delay(delivery.attempts)
        if next_at > delivery.created_at + RETRY_WINDOW or not delivery.endpoint.is_active:
            fields |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        else:
            fields |= {"next_attempt_at": next_at}
        fields["last_error"] = error[:500]
    # Only the attempt we claimed may be recorded (attempts unchanged since the claim).
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**fields)
    return fields.get("status", DeliveryStatus.PENDING)


def list_due_webhook_deliveries(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def give_up_stale_webhook_deliveries(*, now: datetime | None = None) -> int:
    """Pending deliveries older than the retry window that nobody is sending: failed."""
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
        status=DeliveryStatus.PENDING,
        created_at__lt=now - RETRY_WINDOW,
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=_("Given up after a day of retries."))
