"""The order timeline shows status labels ("Draft → Placed"), not the stored codes."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.functional import Promise

from orders.models import OrderEvent
from orders.services import LineInput, place_order
from orders.templatetags.order_timeline import event_value
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _timeline(client, order) -> str:
    client.force_login(UserFactory(role="Staff"))
    response = client.get(reverse("orders:order-detail", kwargs={"number": order.number}))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('data-testid="timeline"') :]


def test_status_payment_and_shipment_changes_show_their_labels(client):
    # given
    channel = ChannelFactory(code="phone")
    variant = stocked_variant(channel=channel, on_hand=5, price=Decimal("10.00"))
    order = place_order(channel=channel, customer=CustomerFactory(), lines=[LineInput(variant=variant, quantity=1)])
    event = OrderEvent.objects.create
    event(order=order, kind=OrderEvent.Kind.PLACED, old_value="draft", new_value="placed")  # as seed_demo writes it
    event(order=order, kind=OrderEvent.Kind.STATUS, old_value="placed", new_value="processing")
    event(order=order, kind=OrderEvent.Kind.PAYMENT_RECORDED, old_value="unpaid", new_value="partially_paid")
    event(order=order, kind=OrderEvent.Kind.SHIPMENT, old_value="unfulfilled", new_value="partially_fulfilled")
    event(order=order, kind=OrderEvent.Kind.SHIPMENT, old_value="ready_for_pickup", new_value="picked_up")
    event(order=order, kind=OrderEvent.Kind.REFUNDED, old_value="paid", new_value="partially_refunded")
    event(order=order, kind=OrderEvent.Kind.INVOICE_ISSUED, new_value="RE-2026-0001")
    # when
    timeline = _timeline(client, order)
    # then
    assert "Draft → Placed" in timeline and "Placed → Processing" in timeline
    assert "Paid → Partially refunded" in timeline
    assert "Unpaid → Partially paid" in timeline
    assert "Unfulfilled → Partially fulfilled" in timeline
    assert "Ready for pickup → Picked up" in timeline
    assert "→ RE-2026-0001" in timeline  # not a status: shown as stored
    for code in ("draft", "partially_paid", "picked_up", "ready_for_pickup", "unfulfilled"):
        assert f"{code} →" not in timeline and f"→ {code}" not in timeline


def test_the_labels_are_the_choices_lazy_translated_labels():
    label = event_value("cancelled", OrderEvent.Kind.STATUS)
    assert label == "Cancelled"
    assert isinstance(label, Promise)  # translated when rendered, in the reader's language
    assert event_value("something_else", OrderEvent.Kind.STATUS) == "something_else"
    assert event_value("shipped:12", OrderEvent.Kind.EMAIL_SENT) == "shipped:12"
