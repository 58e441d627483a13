"""Idempotency-Key records of the API (the IETF httpapi Idempotency-Key draft).

The API layer claims a key before it does the work, completes it with the response, or
releases it when the work was refused. Each function is its own short transaction: the
claim must be committed before the work starts, so that a twin request arriving meanwhile
sees it (and gets 409) instead of doing the work a second time.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import IdempotencyKey, IdempotencyKeyStatus


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: ``new`` (go on and do the work) or the record found."""

    record: IdempotencyKey
    new: bool


def claim_idempotency_key(*, user, key: str, fingerprint: str, method: str, path: str) -> Claim:
    """Insert the key as in progress, or return the record a request with this key left.

    The unique (user, key) constraint decides between concurrent twins: exactly one insert
    succeeds, on SQLite as on PostgreSQL. A record older than the keeping window is
    forgotten and the key claimed afresh.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, method=method, path=path[:255]
                )
            return Claim(record=record, new=True)
        except IntegrityError:
            record = IdempotencyKey.objects.filter(user=user, key=key).first()
            if record is None:  # released between our insert and our read: try again
                continue
            if record.created_at < timezone.now() - keep_for():
                IdempotencyKey.objects.filter(pk=record.pk).delete()
                continue
            return Claim(record=record, new=False)
    raise RuntimeError("Idempotency key could not be claimed")  # pragma: no cover - three races in a row


@transaction.atomic
def complete_idempotency_key(*, record: IdempotencyKey, status: int, body, location: str = "") -> None:
    """Keep the response so that a repeat of the request gets it again."""
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status=IdempotencyKeyStatus.DONE,
        response_status=status,
        response_body=body,
        response_location=location[:255],
        completed_at=timezone.now(),
    )


@transaction.atomic
def release_idempotency_key(*, record: IdempotencyKey) -> None:
    """Forget a claim whose work was refused or failed: nothing was created, a retry may go on."""
    IdempotencyKey.objects.filter(pk=record.pk, status=IdempotencyKeyStatus.IN_PROGRESS).delete()


def keep_for() -> timedelta:
    return timedelta(hours=max(settings.API_IDEMPOTENCY_KEEP_HOURS, 24))


@transaction.atomic
def purge_idempotency_keys(*, now=None) -> int:
    """Delete the records older than the keeping window (at least 24 hours); returns how many."""
    cutoff = (now or timezone.now()) - keep_for()
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
