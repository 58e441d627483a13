"""The live activity feed: orders placed, payments, refunds and shipments, newest first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import OrderEvent
from orders.selectors import FeedItem, list_feed
from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def event(order, kind, *, minutes_ago: int, new: str = "") -> OrderEvent:
    row = OrderEvent.objects.create(order=order, kind=kind, new_value=new)
    OrderEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return row


def test_feed_lists_placements_payments_and_shipments_newest_first():
    # given
    order = OrderFactory(
        channel=ChannelFactory(code="web"), number="1042", customer_name="Grace Hopper", total_amount=Decimal("12.50")
    )
    event(order, OrderEvent.Kind.PLACED, minutes_ago=30, new="placed")
    event(order, OrderEvent.Kind.PAYMENT_RECORDED, minutes_ago=20, new="paid")
    event(order, OrderEvent.Kind.SHIPMENT, minutes_ago=10, new="fulfilled")
    event(order, OrderEvent.Kind.SHIPMENT, minutes_ago=5, new="picked_up")
    event(order, OrderEvent.Kind.NOTE, minutes_ago=1)  # internal notes are not activity

    # when
    feed = list_feed()

    # then
    assert [item.kind for item in feed] == ["shipment", "shipment", "payment", "order_placed"]
    assert feed[0].text == "Shipment for order 1042 — now picked up"
    assert feed[1].text == "Shipment for order 1042 — now fulfilled"
    assert feed[2].text == "Payment on order 1042 — now paid"
    assert feed[3].text == "Order 1042 placed by Grace Hopper — €12.50 via Web"
    assert all(isinstance(item, FeedItem) and item.url for item in feed)


def test_feed_shows_the_newest_fifteen():
    # given
    order = OrderFactory(channel=ChannelFactory(code="web"))
    for minutes in range(20):
        event(order, OrderEvent.Kind.PAYMENT_RECORDED, minutes_ago=minutes, new="paid")

    # when
    feed = list_feed()

    # then
    assert len(feed) == 15
    assert feed == sorted(feed, key=lambda item: item.when, reverse=True)
    assert timezone.now() - feed[-1].when > timedelta(minutes=13)
