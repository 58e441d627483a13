"""Periodic stock work: the owners' daily low-stock digest."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalog.models import StoreSettings
from config.roles import OWNER

DIGEST_LIMIT = 200  # rows in one e-mail; the link opens the full list


def _digest_key(day) -> str:
    return f"inventory:low-stock-digest:{day.isoformat()}"


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_low_stock_digest() -> int:
    """E-mail the owners the day's low stock, once per day; returns the number of e-mails sent.

    "Once" is a cache key per calendar day (store time zone), taken with ``cache.add`` —
    atomic on Redis, so two workers (a retried delivery and the original, or beat firing
    twice) cannot both pass it — before the send, and given back if the send fails, so a
    retry after an SMTP error still sends. A worker killed in the middle of ``send()``
    leaves the key: that day's digest is then skipped rather than sent twice, the right
    side to err on for a reminder that comes again tomorrow. A cache key rather than a
    model row because the digest has no row of its own to carry a ``sent_at`` flag, and a
    new table for one bit per day is not worth a migration; the key lives two days.
    """
    from inventory.selectors import list_low_stock

    owners = list(
        get_user_model()
        .objects.filter(groups__name=OWNER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not owners:
        return 0
    levels = list(list_low_stock().order_by("available_qty", "variant__sku", "location__priority")[: DIGEST_LIMIT + 1])
    if not levels:
        return 0
    today = timezone.localdate()
    key = _digest_key(today)
    if not cache.add(key, "sending", timeout=2 * 24 * 3600):
        return 0
    context = {
        "store_name": StoreSettings.cached_name(),
        "day": today,
        "levels": levels[:DIGEST_LIMIT],
        "more": len(levels) > DIGEST_LIMIT,
        "overview_url": settings.PUBLIC_BASE_URL.rstrip("/") + reverse("inventory:stock-list") + "?low=on",
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("inventory/email/low_stock_digest.subject.txt", context).strip(),
        body=render_to_string("inventory/email/low_stock_digest.txt", context),
        to=owners,
    )
    message.attach_alternative(render_to_string("inventory/email/low_stock_digest.html", context), "text/html")
    try:
        message.send()
    except Exception:
        cache.delete(key)  # not sent: let the retry try again today
        raise
    cache.set(key, "sent", timeout=2 * 24 * 3600)
    return 1
