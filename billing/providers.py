"""Online payment providers: each turns a provider's confirmation into a verified payment.

The interface is small: a provider has a ``name`` and ``parse(body=..., headers=..., now=...)``
that checks the message is authentic and returns a :class:`ProviderPayment`, or raises
``WebhookRejected`` with the HTTP status to answer (401 for a bad signature or a replay
outside the window, 400 for a malformed message). The built-in provider signs with
HMAC-SHA256 over ``"<timestamp>." + raw body`` with a shared secret.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

REPLAY_WINDOW_SECONDS = 300
MAX_PAYMENT_ID = 100  # Payment.provider_payment_id
MAX_AMOUNT = Decimal("1e10")  # Payment.amount: 12 digits, 2 of them cents


class WebhookRejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class ProviderPayment:
    provider: str
    payment_id: str
    order_number: str
    amount: Decimal
    currency: str
    succeeded: bool


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SignedWebhookProvider:
    """The built-in provider: ``X-Backroom-Timestamp`` and ``X-Backroom-Signature`` headers."""

    name = "webhook"

    def __init__(self, secret: str | None = None):
        self.secret = secret if secret is not None else settings.PAYMENT_WEBHOOK_SECRET

    def parse(self, *, body: bytes, headers, now: float) -> ProviderPayment:
        if not self.secret:
            raise WebhookRejected(401, "webhook secret not configured")
        timestamp = headers.get("X-Backroom-Timestamp", "")
        signature = headers.get("X-Backroom-Signature", "")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise WebhookRejected(401, "missing or bad timestamp") from None
        expected = sign(secret=self.secret, timestamp=timestamp, body=body)
        if not hmac.compare_digest(expected, signature):
            raise WebhookRejected(401, "bad signature")
        if abs(now - sent_at) > REPLAY_WINDOW_SECONDS:
            raise WebhookRejected(401, "timestamp outside the replay window")
        try:
            data = json.loads(body)
            payment = ProviderPayment(
                provider=self.name,
                payment_id=str(data["id"]).strip(),
                order_number=str(data["order"]).strip(),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]).upper(),
                succeeded=data.get("status", "succeeded") == "succeeded",
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise WebhookRejected(400, "malformed payment message") from None
        if not payment.payment_id or not payment.order_number:
            raise WebhookRejected(400, "payment id and order are required")
        # What the payments table can hold: a NUL byte or a longer id is a DataError on PostgreSQL,
        # and an amount beyond 12 digits (or 1e999999) cannot be rounded to the cent.
        texts = (payment.payment_id, payment.order_number, payment.currency)
        if any("\x00" in text for text in texts) or len(payment.payment_id) > MAX_PAYMENT_ID:
            raise WebhookRejected(400, "malformed payment message")
        if not payment.amount.is_finite() or abs(payment.amount) >= MAX_AMOUNT:
            raise WebhookRejected(400, "amount out of range")
        return payment


PROVIDERS = {SignedWebhookProvider.name: SignedWebhookProvider}


def get_provider(name: str):
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise WebhookRejected(404, "unknown provider") from None
