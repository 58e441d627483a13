"""The ``Idempotency-Key`` request header (IETF httpapi draft), for the API's POST endpoints.

- No header: the request is handled as usual.
- A new key: claimed (a committed row, in progress) before the work starts; a 2xx answer
  is kept and replayed to every repeat with the same key and the same request; any other
  answer releases the key, so a corrected retry with the same key goes on.
- The same key with another method, path or body: 422, nothing done.
- The same key while the first request is still being handled: 409, nothing done.

Keys are scoped per user (the token's owner) and kept ``API_IDEMPOTENCY_KEEP_HOURS``
(at least 24 h); ``manage.py purge_idempotency_keys`` and a beat task delete older ones.
"""

import hashlib
import json
from functools import wraps

from django.utils.translation import gettext as _
from rest_framework.response import Response

from orders.api.errors import APIError
from orders.models import IdempotencyKeyStatus
from orders.services.idempotency import claim_idempotency_key, complete_idempotency_key, release_idempotency_key

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, the path and the body (JSON canonicalised: key order and spacing do not count)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\n", path.encode(), b"\n", canonical):
        digest.update(part)
    return digest.hexdigest()


def idempotent(handler):
    """Wrap an APIView's ``post`` so that the ``Idempotency-Key`` header is honoured."""

    @wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(self, request, *args, **kwargs)
        key = key.strip().strip('"')
        if not key or len(key) > MAX_KEY_LENGTH:
            raise APIError(
                code="invalid_idempotency_key",
                message=_("The Idempotency-Key header must be 1 to %(max)s characters.") % {"max": MAX_KEY_LENGTH},
            )
        digest = fingerprint(method=request.method, path=request.path, body=request.body)
        claim = claim_idempotency_key(
            user=request.user, key=key, fingerprint=digest, method=request.method, path=request.path
        )
        record = claim.record
        if not claim.new:
            if record.fingerprint != digest:
                raise APIError(
                    status_code=422,
                    code="idempotency_key_reused",
                    message=_("This Idempotency-Key was used for a different request."),
                )
            if record.status == IdempotencyKeyStatus.IN_PROGRESS:
                raise APIError(
                    status_code=409,
                    code="idempotency_key_in_progress",
                    message=_("A request with this Idempotency-Key is still being processed; retry shortly."),
                    headers={"Retry-After": "1"},
                )
            response = Response(record.response_body, status=record.response_status)
            if record.response_location:
                response["Location"] = record.response_location
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(self, request, *args, **kwargs)
        except BaseException:
            release_idempotency_key(record=record)
            raise
        if 200 <= response.status_code < 300:
            complete_idempotency_key(
                record=record,
                status=response.status_code,
                body=json.loads(json.dumps(response.data, default=str)),
                location=response.get("Location", ""),
            )
        else:
            release_idempotency_key(record=record)
        return response

    return wrapper
