"""API tokens (DRF's ``authtoken``): one per user, created or rotated by its owner, revoked by an Owner."""

import logging

from django.db import transaction
from rest_framework.authtoken.models import Token

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
