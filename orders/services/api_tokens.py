"""API tokens (DRF's ``authtoken``): one per user, created or rotated by its owner, revoked by an Owner."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from orders.models import OrderEvent

logger = logging.getLogger(__name__)


@transaction.atomic
def issue_api_token(*, user, by) -> Token:
    """A new token for ``user``; the old one, if any, stops working at once (rotation)."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    logger.info("API token issued for %s by %s", user, by)
    return token


@transaction.atomic
def revoke_api_token(*, user, by) -> bool:
    """Delete ``user``'s token; returns whether there was one."""
    deleted, _per_model = Token.objects.filter(user=user).delete()
    if deleted:
        logger.info("API token of %s revoked by %s", user, by)
    return bool(deleted)


API_SOURCE = "api"  # new_value of the timeline note that says an order came through the API


@transaction.atomic
def record_api_placement(*, order, by, idempotency_key: str = "", external_reference: str = ""):
    """Note on the order's timeline that it was placed through the API with ``by``'s token (and
    under which Idempotency-Key and external reference), so it does not read as entered by hand."""
    parts = [_("Placed through the API with the token of %(user)s.") % {"user": by.get_username()}]
    if idempotency_key:
        parts.append(_("Idempotency-Key: %(key)s.") % {"key": idempotency_key[:200]})
    if external_reference:
        parts.append(_("External reference: %(reference)s.") % {"reference": external_reference})
    return OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.NOTE, by=by, message=" ".join(parts), new_value=API_SOURCE
    )


def placed_through_api(events) -> bool:
    """Whether an order's (loaded) timeline says it came through the API."""
    return any(e.kind == OrderEvent.Kind.NOTE and e.new_value == API_SOURCE for e in events)
