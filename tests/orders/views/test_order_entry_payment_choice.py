"""The new-order page asks how the customer will pay, keeps it on drafts and on the placed order."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Location, StockLevel
from orders.models import Customer, Order, PaymentChoice
from shipping.models import ShippingMethod
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/orders/new/"


@pytest.fixture
def shop():
    channel = ChannelFactory(code="phone", name="Phone")
    store = LocationFactory(code="shop", name="Main Street shop", kind=Location.Kind.STORE, is_pickup_point=True)
    shirt = stocked_variant(channel=channel, location=store, on_hand=5, price=Decimal("20.00"))
    method = ShippingMethod.objects.create(code="dhl", name="DHL Parcel", price_amount=Decimal("4.90"))
    return {"channel": channel, "store": store, "shirt": shirt, "method": method}


@pytest.fixture
def staff(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    return user


def _token(client) -> str:
    return client.get(URL).context["token"]


def _form(shop, token, **overrides) -> dict:
    data = {
        "token": token,
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
        "line_quantity": ["1"],
        "action": "place",
    }
    data.update(overrides)
    return data


def _offered(html: str) -> list[str]:
    """The values of the payment-choice select's options, in order."""
    select = re.search(r'<select name="payment_choice".*?</select>', html, re.S)
    assert select, "no payment-choice select on the page"
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def _selected(html: str) -> str:
    select = re.search(r'<select name="payment_choice".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]*)"[^>]*selected', select).group(1)


def _field_error(html: str) -> str:
    error = re.search(r'<div class="invalid-feedback d-block" id="id_payment_choice_error">(.*?)</div>', html, re.S)
    return error.group(1).strip() if error else ""


def test_the_new_order_page_asks_how_the_customer_will_pay(client, staff, shop):
    html = client.get(URL).content.decode()
    assert "How will the customer pay?" in html
    # shipped by default: pay at pickup is not offered
    assert _offered(html) == ["", "online", "bank_transfer", "on_terms"]


def test_pickup_at_a_store_offers_pay_at_pickup(client, staff, shop):
    response = client.post(URL, {"channel": shop["channel"].pk, "delivery": "pickup", "action": "update"})
    assert response.status_code == 200
    assert _offered(response.content.decode()) == ["", "online", "at_pickup", "bank_transfer", "on_terms"]


def test_placing_with_a_choice_keeps_it_and_the_order_page_shows_it(client, staff, shop):
    # when
    response = client.post(URL, _form(shop, _token(client), payment_choice="bank_transfer"))
    # then
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == Order.Status.PLACED
    assert order.payment_choice == PaymentChoice.BANK_TRANSFER
    detail = client.get(response["Location"]).content.decode()
    assert "Customer chose: Bank transfer" in detail


def test_placing_without_a_choice_keeps_none(client, staff, shop):
    response = client.post(URL, _form(shop, _token(client)))
    assert response.status_code == 302
    assert Order.objects.get().payment_choice == PaymentChoice.NOT_GIVEN


def test_pay_at_pickup_with_pickup_at_a_store_is_placed(client, staff, shop):
    data = _form(shop, _token(client), delivery="pickup", pickup_location=shop["store"].pk, payment_choice="at_pickup")
    response = client.post(URL, data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.payment_choice, order.pickup_location) == (PaymentChoice.AT_PICKUP, shop["store"])


@pytest.mark.parametrize("action", ["place", "save_draft"])
def test_an_unknown_choice_is_said_next_to_the_field_and_nothing_is_saved(client, staff, shop, action):
    # when
    response = client.post(URL, _form(shop, _token(client), payment_choice="cash", action=action))
    # then
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == "Choose a way to pay from the list."
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("action", ["place", "save_draft"])
def test_pay_at_pickup_for_a_shipped_order_is_refused_next_to_the_field(client, staff, shop, action):
    # when
    response = client.post(URL, _form(shop, _token(client), payment_choice="at_pickup", action=action))
    # then the refusal is by the field, which still shows what was chosen
    html = response.content.decode()
    assert response.status_code == 400
    assert _field_error(html) == "Paying at pickup needs pickup at a store."
    assert _selected(html) == "at_pickup"
    assert not Order.objects.exists()
    assert not Customer.objects.exists()
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 0


def test_the_service_refusal_is_shown_next_to_the_field(client, staff, shop, monkeypatch):
    """Should placing refuse a choice the page let through, the refusal still goes by the field."""
    from orders.exceptions import InvalidOrder
    from orders.views import order_entry

    def refuse(*, entry, draft=None, by=None):
        raise InvalidOrder("Paying at pickup needs pickup at a store.", field="payment_choice")

    monkeypatch.setattr(order_entry, "place_order_and_invoice_on_terms", refuse)
    response = client.post(URL, _form(shop, _token(client), payment_choice="online"))
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == "Paying at pickup needs pickup at a store."


def test_a_draft_keeps_the_choice_shows_it_on_resume_and_places_with_it(client, staff, shop):
    # given
    data = _form(shop, _token(client), payment_choice="bank_transfer", action="save_draft")
    # when saved
    saved = client.post(URL, data)
    # then
    draft = Order.objects.get()
    assert saved.status_code == 302
    assert (draft.status, draft.payment_choice) == (Order.Status.DRAFT, PaymentChoice.BANK_TRANSFER)
    # when resumed, the choice is selected again
    resumed = client.get(saved["Location"])
    assert _selected(resumed.content.decode()) == "bank_transfer"
    # when the resumed page is placed as it is (the new customer now exists: pick them)
    customer = Customer.objects.get(email="grace@example.com")
    placed = client.post(
        saved["Location"],
        {
            **data,
            "new_first_name": "",
            "new_last_name": "",
            "new_email": "",
            "customer": customer.pk,
            "payment_choice": resumed.context["form"]["payment_choice"].value(),
            "token": resumed.context["token"],
            "action": "place",
        },
    )
    # then
    draft.refresh_from_db()
    assert placed.status_code == 302
    assert (draft.status, draft.payment_choice) == (Order.Status.PLACED, PaymentChoice.BANK_TRANSFER)


def test_a_pickup_draft_resumes_with_pay_at_pickup_offered_and_selected(client, staff, shop):
    data = _form(
        shop,
        _token(client),
        delivery="pickup",
        pickup_location=shop["store"].pk,
        payment_choice="at_pickup",
        action="save_draft",
    )
    saved = client.post(URL, data)
    html = client.get(saved["Location"]).content.decode()
    assert "at_pickup" in _offered(html)
    assert _selected(html) == "at_pickup"


def test_a_counter_sale_asks_nothing_and_keeps_no_choice(client, staff):
    # given an in-person channel served by the shop
    counter = ChannelFactory(code="in_person", name="Shop counter")
    store = LocationFactory(code="shop", kind=Location.Kind.STORE, is_pickup_point=True)
    mug = stocked_variant(channel=counter, location=store, on_hand=3, price=Decimal("10.00"))
    base = {"channel": counter.pk, "delivery": "counter", "line_sku": [mug.sku], "line_quantity": ["1"]}
    # the page for a sale taken now has no way-to-pay select, only the value carried along
    page = client.post(URL, {**base, "payment_choice": "bank_transfer", "action": "update"}).content.decode()
    assert '<select name="payment_choice"' not in page
    assert '<input type="hidden" name="payment_choice" value="bank_transfer">' in page
    # when it is sold with a choice still posted (even one that needs a pickup)
    response = client.post(
        URL,
        {
            **base,
            "token": _token(client),
            "payment_method": "card",
            "payment_choice": "at_pickup",
            "action": "place",
        },
    )
    # then it is paid at the counter and keeps no choice
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == Order.Status.COMPLETED
    assert order.payment_choice == PaymentChoice.NOT_GIVEN


def test_htmx_totals_send_the_ways_to_pay_again_when_the_delivery_changes(client, staff, shop):
    # given
    data = {"channel": shop["channel"].pk, "delivery": "pickup", "payment_choice": "at_pickup"}
    totals = reverse("orders:entry-totals")
    # when the delivery radio changes
    changed = client.post(totals, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="delivery")
    # then the block comes out of band with pay at pickup offered and kept
    html = changed.content.decode()
    assert 'id="entry-payment-choice"' in html and 'hx-swap-oob="true"' in html
    assert _selected(html) == "at_pickup"
    # when shipped instead, the kept choice is refused by the field at once
    shipped = client.post(
        totals, {**data, "delivery": "ship"}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="delivery"
    ).content.decode()
    assert _field_error(shipped) == "Paying at pickup needs pickup at a store."
    # when something else changes (the discount), the block is left alone
    typed = client.post(totals, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="discount_percent")
    assert "entry-payment-choice" not in typed.content.decode()
    assert not Order.objects.exists()


def test_on_terms_for_a_customer_without_terms_is_refused_next_to_the_field(client, staff, shop):
    # when: a new caller (no payment terms) is put on terms
    response = client.post(URL, _form(shop, _token(client), payment_choice="on_terms", action="place"))

    # then: the page says why by the field and nothing is placed
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == (
        "Paying on terms needs a customer with payment terms (set them on the customer)."
    )
    assert not Order.objects.exists()
    assert not Customer.objects.exists()
