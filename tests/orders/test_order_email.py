from decimal import Decimal

import pytest
from django.core import mail

from orders.models import OrderEvent
from orders.services import LineInput, place_order, send_order_email
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

pytestmark = pytest.mark.django_db


def test_confirmation_email_has_the_tracking_link_and_is_sent_once(settings):
    # given
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, price=Decimal("12.00"), sku="LIN-SHIRT-M")
    order = place_order(
        channel=channel, email="ada@example.com", customer_name="Ada", lines=[LineInput(variant=variant, quantity=2)]
    )
    # when
    first = send_order_email(order_id=order.pk, kind="placed")
    second = send_order_email(order_id=order.pk, kind="placed")
    # then
    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert order.number in message.subject
    assert f"https://shop.example.com/track/{order.tracking_code}/" in message.body
    assert "LIN-SHIRT-M" in message.body
    html = message.alternatives[0][0]
    assert order.tracking_code in html
    assert order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value="placed").count() == 1


def test_no_email_address_means_nothing_is_sent():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel)
    order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)])
    assert send_order_email(order_id=order.pk, kind="placed") is False
    assert mail.outbox == []
