"""Low stock: which levels are low, what to reorder, and the owners' daily digest sent once."""

from datetime import timedelta
from smtplib import SMTPException
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone

from config import roles
from inventory.models import MovementKind, StockMovement
from inventory.selectors import list_low_stock
from inventory.services import consume_reserved_stock
from inventory.tasks import send_low_stock_digest
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A private cache per test: the digest's once-a-day key must not leak between tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "low"}}
    from django.core.cache import cache

    cache.clear()


def _sell(*, channel, location, variant, quantity: int, days_ago: int = 1) -> None:
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=quantity)])
    consume_reserved_stock(order_line_id=order.lines.get().pk, location=location, quantity=quantity)
    StockMovement.objects.filter(kind=MovementKind.SALE, order_line__order=order).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_low_is_at_or_below_the_threshold_of_the_level_else_the_variant():
    # given
    stocked_variant(sku="AT", on_hand=5, low_stock_threshold=5)
    stocked_variant(sku="ABOVE", on_hand=6, low_stock_threshold=5)
    own = stocked_variant(sku="OWN", on_hand=9, low_stock_threshold=5)
    own.stock_levels.update(low_stock_threshold=9)
    stocked_variant(sku="INACTIVE", on_hand=0, is_active=False)

    # when
    low = {level.variant.sku: level for level in list_low_stock()}

    # then
    assert sorted(low) == ["AT", "OWN"]
    assert low["OWN"].threshold == 9


def test_reserved_stock_counts_against_available():
    # given
    channel = ChannelFactory()
    location = LocationFactory()
    variant = stocked_variant(sku="RES", channel=channel, location=location, on_hand=8, low_stock_threshold=5)
    place_order(channel=channel, lines=[LineInput(variant=variant, quantity=4)])

    # when
    level = list_low_stock().get()

    # then
    assert (level.variant.sku, level.available_qty) == ("RES", 4)


def test_reorder_covers_thirty_days_of_sales_minus_available_and_at_least_the_threshold():
    # given: 26 sold in the last 30 days, 40 days ago 100 more (outside the window)
    channel = ChannelFactory()
    location = LocationFactory()
    busy = stocked_variant(sku="BUSY", channel=channel, location=location, on_hand=130, low_stock_threshold=5)
    _sell(channel=channel, location=location, variant=busy, quantity=100, days_ago=40)
    _sell(channel=channel, location=location, variant=busy, quantity=20, days_ago=10)
    _sell(channel=channel, location=location, variant=busy, quantity=6, days_ago=2)
    stocked_variant(sku="QUIET", channel=channel, location=location, on_hand=1, low_stock_threshold=5)

    # when
    low = {level.variant.sku: level for level in list_low_stock()}

    # then: 4 left of BUSY, 26 sold → 26 − 4 = 22; QUIET sold nothing → the threshold
    assert (low["BUSY"].available_qty, low["BUSY"].sold_30d, low["BUSY"].suggested_reorder) == (4, 26, 22)
    assert (low["QUIET"].sold_30d, low["QUIET"].suggested_reorder) == (0, 5)


def test_digest_mails_the_owners_once_a_day():
    # given
    UserFactory(username="boss", email="boss@example.com", role=roles.OWNER)
    UserFactory(username="silent", email="", role=roles.OWNER)
    UserFactory(username="packer", email="packer@example.com", role=roles.WAREHOUSE)
    stocked_variant(sku="DIGEST-LOW", on_hand=1)
    stocked_variant(sku="DIGEST-OK", on_hand=50)

    # when
    first = send_low_stock_digest.delay().get()
    second = send_low_stock_digest.delay().get()

    # then
    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com"]
    assert "1 item is low on stock" in message.subject
    assert "DIGEST-LOW" in message.body
    assert "DIGEST-OK" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "DIGEST-LOW" in html
    assert "/stock/?low=on" in message.body


def test_digest_sends_again_the_next_day():
    # given
    UserFactory(username="boss", email="boss@example.com", role=roles.OWNER)
    stocked_variant(sku="DAY-LOW", on_hand=1)
    send_low_stock_digest()
    tomorrow = timezone.now() + timedelta(days=1)

    # when
    with patch("django.utils.timezone.now", return_value=tomorrow):
        sent = send_low_stock_digest()

    # then
    assert sent == 1
    assert len(mail.outbox) == 2


def test_a_failed_send_lets_the_retry_send(settings):
    # given
    UserFactory(username="boss", email="boss@example.com", role=roles.OWNER)
    stocked_variant(sku="RETRY-LOW", on_hand=1)

    # when
    with (
        patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPException("down")),
        pytest.raises(SMTPException),
    ):
        send_low_stock_digest.run()
    sent = send_low_stock_digest.run()

    # then
    assert sent == 1
    assert len(mail.outbox) == 1


def test_nothing_low_sends_nothing():
    # given
    UserFactory(username="boss", email="boss@example.com", role=roles.OWNER)
    stocked_variant(sku="PLENTY", on_hand=50)

    # when
    sent = send_low_stock_digest()

    # then
    assert sent == 0
    assert mail.outbox == []


def test_the_digest_is_on_the_beat_schedule(settings):
    # then
    entry = settings.CELERY_BEAT_SCHEDULE["inventory-low-stock-digest"]
    assert entry["task"] == send_low_stock_digest.name
