"""Risky orders are held for a person; shipping waits for the approval."""

from decimal import Decimal

import pytest

from catalog.models import StoreSettings
from orders.exceptions import OrderError
from orders.models import BlockedContact, OrderEvent
from orders.services import LineInput, approve_order_review, place_order, review_order_risk
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = {"name": "Ada", "line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}


def _place(*, price="10.00", quantity=1, customer=None, **kwargs):
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=100, price=Decimal(price))
    return place_order(
        channel=channel, customer=customer, lines=[LineInput(variant=variant, quantity=quantity)], **kwargs
    )


def test_an_ordinary_order_is_not_held():
    order = _place(customer=CustomerFactory(), shipping_address=BERLIN)
    assert order.needs_review is False
    assert order.review_reasons == []


def test_a_first_order_above_the_limit_is_held_with_its_reason():
    StoreSettings.objects.update_or_create(pk=1, defaults={"review_first_order_above": Decimal("500")})
    order = _place(price="600.00", customer=CustomerFactory())
    assert order.needs_review is True
    assert "First order" in order.review_reasons[0]
    assert order.events.filter(kind=OrderEvent.Kind.NOTE, message__startswith="Held for review").exists()


def test_billing_and_shipping_countries_that_differ_hold_the_order():
    order = _place(shipping_address=BERLIN, billing_address={**BERLIN, "country": "FR"})
    assert order.needs_review
    assert "FR" in order.review_reasons[0] and "DE" in order.review_reasons[0]


def test_a_blocked_email_or_address_holds_the_order():
    BlockedContact.objects.create(kind=BlockedContact.Kind.EMAIL, value="  Fraud@Example.com ")
    BlockedContact.objects.create(kind=BlockedContact.Kind.ADDRESS, value="hauptstraße 1,   10115")
    by_email = _place(email="fraud@example.com")
    by_address = _place(shipping_address=BERLIN)
    assert by_email.needs_review and by_address.needs_review


def test_several_failed_payments_hold_the_order_once():
    order = _place()
    for n in range(3):
        order.payments.create(
            method="online",
            status="failed",
            amount=Decimal("11.90"),
            currency="EUR",
            provider_payment_id=f"p{n}",
            provider="x",
        )
    order = review_order_risk(order=order)
    order = review_order_risk(order=order)
    assert order.needs_review
    assert order.review_reasons == ["3 failed payment attempts."]


def test_approval_releases_the_order_and_is_logged():
    order = _place(shipping_address=BERLIN, billing_address={**BERLIN, "country": "FR"})
    owner = UserFactory(role="Owner")
    order = approve_order_review(order=order, by=owner, note="Called the customer.")
    assert order.needs_review is False
    assert order.events.filter(by=owner, message__contains="Called the customer.").exists()
    with pytest.raises(OrderError, match="not held"):
        approve_order_review(order=order, by=owner)


def test_the_order_page_offers_approval_only_while_held(client):
    order = _place(shipping_address=BERLIN, billing_address={**BERLIN, "country": "FR"})
    client.force_login(UserFactory(role="Staff"))
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "Approve for shipping" in page and "Billing country FR" in page
    response = client.post(f"/orders/{order.number}/approve-review/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.needs_review is False
    assert "Approve for shipping" not in client.get(f"/orders/{order.number}/").content.decode()
