"""Discount codes on the staff new-order page: live feedback, a refused code blocks placing, a good one is used."""

from decimal import Decimal

import pytest

from catalog.models import DiscountCode, DiscountRedemption
from orders.models import Order
from shipping.models import ShippingMethod
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/orders/new/"


@pytest.fixture
def shop(client):
    client.force_login(UserFactory(role="Staff"))
    channel = ChannelFactory(code="phone", name="Phone")
    shirt = stocked_variant(channel=channel, on_hand=5, price=Decimal("20.00"))
    method = ShippingMethod.objects.create(code="dhl", name="DHL Parcel", price_amount=Decimal("4.90"))
    return {"channel": channel, "shirt": shirt, "method": method}


def _form(client, shop, **overrides) -> dict:
    data = {
        "token": client.get(URL).context["token"],
        "channel": shop["channel"].pk,
        "delivery": "ship",
        "shipping_method": shop["method"].pk,
        "name": "Grace Hopper",
        "line1": "Am Markt 2",
        "postal_code": "20095",
        "city": "Hamburg",
        "country": "DE",
        "new_first_name": "Grace",
        "new_last_name": "Hopper",
        "new_email": "grace@example.com",
        "discount_percent": "0",
        "line_sku": [shop["shirt"].sku],
        "line_quantity": ["2"],
        "action": "place",
    }
    data.update(overrides)
    return data


def test_the_totals_partial_applies_a_code_as_you_type(client, shop):
    DiscountCodeFactory(code="FIVE", kind=DiscountCode.Kind.FIXED, value=Decimal("5.00"))
    response = client.post("/orders/new/totals/", _form(client, shop, discount_code="five", action=""))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Discount (code FIVE)" in body
    assert response.context["state"].totals["discount_amount"] == Decimal("5.00")


def test_the_totals_partial_says_why_a_code_is_refused(client, shop):
    DiscountCodeFactory(code="BIG", min_subtotal_amount=Decimal("100.00"))
    response = client.post("/orders/new/totals/", _form(client, shop, discount_code="big", action=""))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="discount-code-feedback"' in body
    assert "100.00" in body
    assert response.context["state"].totals["discount_amount"] == Decimal("0")


def test_placing_with_a_refused_code_shows_it_by_the_field_and_places_nothing(client, shop):
    response = client.post(URL, _form(client, shop, discount_code="NOPE"))
    assert response.status_code == 400
    assert "There is no discount code" in " ".join(response.context["form"].errors["discount_code"])
    assert not Order.objects.exists()


def test_placing_with_a_good_code_uses_it_once(client, shop):
    DiscountCodeFactory(code="TEN", usage_limit=1)
    response = client.post(URL, _form(client, shop, discount_code="ten"))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.discount_code == "TEN"
    assert order.discount_amount == Decimal("4.00")
    assert DiscountRedemption.objects.get().order == order
    # the code is used up now: the page says so
    again = client.post(URL, _form(client, shop, discount_code="TEN"))
    assert again.status_code == 400
    assert "used up" in " ".join(again.context["form"].errors["discount_code"])
    assert Order.objects.count() == 1


def test_a_draft_keeps_its_code_and_is_resumed_with_it(client, shop):
    DiscountCodeFactory(code="TEN")
    response = client.post(URL, _form(client, shop, discount_code="TEN", action="save_draft"))
    assert response.status_code == 302
    draft = Order.objects.get()
    assert draft.discount_code == "TEN"
    page = client.get(f"/orders/new/{draft.pk}/")
    assert page.context["form"]["discount_code"].value() == "TEN"
    assert page.context["state"].totals["discount_amount"] == Decimal("4.00")
