"""Journey 5, "A cart left behind", end to end through the storefront views.

A customer gives an e-mail (agreeing to reminders), reaches the shipping step and leaves. An
hour later the beat task sends one reminder with the cart, a restore link and a single-use
10 % code. The customer comes back on a phone (a new browser: no session), the link restores
the cart, the order is placed with the code (the discount applied; the code cannot be used
again), and the owner's cart report counts one recovered cart and shows where the others
stopped.
"""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalog.models import DiscountCode, StoreSettings
from config.roles import OWNER
from orders.models import Cart, CartEvent, CartStage, Order
from orders.tasks import send_cart_reminders
from tests.catalog.shop_fixtures import make_web_shop, web_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

# Nine in the morning, local time: the journey spans a few hours and its report asks for
# today, so a start taken from the clock in the late evening would run past midnight.
T0 = timezone.make_aware(datetime.combine(timezone.localdate(), time(9, 0)))
ADDRESS = {"line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}


def _checkout_form(client: Client) -> tuple[str, str, str]:
    """The checkout page's one-time token and its delivery keys (parcel, pickup)."""
    body = client.get("/shop/checkout/").content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    ship = "ship-" + body.split('value="ship-')[1].split('"')[0]
    pickup = "pickup-" + body.split('value="pickup-')[1].split('"')[0]
    return token, ship, pickup


def _add(client: Client, variant, quantity: int) -> None:
    response = client.post(f"/shop/p/{variant.product.slug}/", {"variant": variant.pk, "quantity": quantity})
    assert response.status_code in (200, 302), response.content[:500]


@pytest.fixture
def shop():
    channel = make_web_shop()
    StoreSettings.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Linen & Co",
            "cart_incentive_enabled": True,
            "cart_incentive_kind": "percent",
            "cart_incentive_value": Decimal("10"),
            "cart_incentive_valid_days": 7,
        },
    )
    shirt = web_variant(channel, on_hand=10, price=Decimal("40.00"))
    scarf = web_variant(channel, on_hand=10, price=Decimal("15.00"))
    return {"channel": channel, "shirt": shirt, "scarf": scarf}


def _others_stop_along_the_way(shop) -> None:
    """Three other customers on the same day: one leaves with a full cart, one at the
    checkout page, one after giving an e-mail without consent (never reminded)."""
    at_cart, at_checkout, at_details = Client(), Client(), Client()
    for client in (at_cart, at_checkout, at_details):
        _add(client, shop["scarf"], 1)
    at_checkout.get("/shop/checkout/")
    token, _ship, _pickup = _checkout_form(at_details)
    response = at_details.post(
        "/shop/checkout/", {"email": "bea@example.com", "token": token, "delivery": "", "payment": "bank_transfer"}
    )
    assert response.status_code == 400


def test_a_cart_left_at_shipping_is_reminded_restored_on_a_phone_and_recovered(
    shop, mailoutbox, django_capture_on_commit_callbacks
):
    desktop = Client()
    # -- the customer fills a cart, gives an e-mail with consent, chooses delivery, and leaves
    with time_machine.travel(T0, tick=False):
        _add(desktop, shop["shirt"], 2)
        _add(desktop, shop["scarf"], 1)
        assert "Linen &amp; Co" in desktop.get("/shop/cart/").content.decode()
        token, ship, _pickup = _checkout_form(desktop)
        # the name and address are not given yet: the page comes back, and they close the tab
        response = desktop.post(
            "/shop/checkout/",
            {
                "email": "ada@example.com",
                "reminder_consent": "on",
                "delivery": ship,
                "billing_same": "on",
                "payment": "bank_transfer",
                "token": token,
            },
        )
        assert response.status_code == 400
        _others_stop_along_the_way(shop)
    cart = Cart.objects.get(email="ada@example.com")
    assert cart.reminder_consent and cart.status == Cart.Status.OPEN
    assert cart.stage == CartStage.SHIPPING, "the funnel must see the cart stopped at the shipping step"
    assert not Order.objects.exists()

    # -- the beat task: nothing before the hour, one reminder after it, never a second at once
    with time_machine.travel(T0 + timedelta(minutes=55), tick=False):
        assert send_cart_reminders.delay().get() == 0
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        assert send_cart_reminders.delay().get() == 1
    with time_machine.travel(T0 + timedelta(minutes=66), tick=False):
        assert send_cart_reminders.delay().get() == 0
    (reminder,) = mailoutbox
    assert reminder.to == ["ada@example.com"]
    assert "Linen & Co" in reminder.subject
    shirt, scarf = shop["shirt"].display_name, shop["scarf"].display_name
    assert f"2 × {shirt}" in reminder.body and f"1 × {scarf}" in reminder.body
    html = reminder.alternatives[0][0]
    assert shirt in html and scarf in html
    cart.refresh_from_db()
    code = DiscountCode.objects.get(code=cart.incentive_code)
    assert code.kind == "percent" and code.value == Decimal("10") and code.usage_limit == 1
    assert code.code in reminder.body and "10 % off" in reminder.body
    restore_url = re.search(r"https?://\S+/shop/cart/restore/[0-9a-f-]+/", reminder.body).group(0)
    assert str(cart.token) in restore_url and restore_url in html

    # -- two hours later, on a phone: a browser that never saw the cart
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert "Your cart is empty" in phone.get("/shop/cart/").content.decode()
        response = phone.get("/" + restore_url.split("://", 1)[1].split("/", 1)[1], follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        assert "your cart is as you left it" in page
        assert shirt in page and scarf in page
        token, ship, _pickup = _checkout_form(phone)
        checkout = phone.get("/shop/checkout/").content.decode()
        assert 'value="ada@example.com"' in checkout  # the e-mail comes back with the cart
        with django_capture_on_commit_callbacks(execute=True):
            response = phone.post(
                "/shop/checkout/",
                {
                    "email": "ada@example.com",
                    "reminder_consent": "on",
                    "name": "Ada Lovelace",
                    "delivery": ship,
                    **ADDRESS,
                    "billing_same": "on",
                    "payment": "bank_transfer",
                    "discount_code": code.code.lower(),  # typed in any case
                    "token": token,
                },
            )
        assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    cart.refresh_from_db()
    assert cart.order == order and cart.recovered and cart.incentive_used
    assert order.discount_code == code.code
    goods = Decimal("2") * Decimal("40.00") + Decimal("15.00")
    assert order.subtotal_amount == goods
    assert order.discount_amount == Decimal("9.50")  # 10 % of the net goods
    assert [(line.variant_id, line.quantity) for line in order.lines.order_by("id")] == [
        (shop["shirt"].pk, 2),
        (shop["scarf"].pk, 1),
    ]
    assert CartEvent.objects.filter(cart=cart, kind=CartEvent.Kind.RESTORED).count() == 1
    confirmation = phone.get(response["Location"]).content.decode()
    assert order.number in confirmation
    assert any(order.tracking_code in m.body for m in mail.outbox[1:])  # the confirmation e-mail

    # -- the code was single-use: another cart cannot take it
    other = Client()
    with time_machine.travel(T0 + timedelta(hours=2, minutes=5), tick=False):
        _add(other, shop["scarf"], 1)
        token, _ship, pickup = _checkout_form(other)
        response = other.post(
            "/shop/checkout/",
            {
                "email": "cy@example.com",
                "name": "Cy",
                "delivery": pickup,
                "billing_same": "on",
                "payment": "at_pickup",
                "discount_code": code.code,
                "token": token,
            },
        )
    assert response.status_code == 400 and 'id="discount-error"' in response.content.decode()
    assert Order.objects.count() == 1
    code.refresh_from_db()
    assert code.times_used == 1

    # -- the owner's cart report: one recovered cart, and where the others stopped
    owner = Client()
    owner.force_login(UserFactory(role=OWNER))
    day = timezone.localdate(T0)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        response = owner.get(
            "/carts/report/", {"date_from": (day - timedelta(days=1)).isoformat(), "date_to": day.isoformat()}
        )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.started == 5  # ours, the three others, and the one that tried the used code
    assert report.recovered == 1 and report.reminded == 1 and report.incentive_used == 1
    assert report.recovered_revenue == order.total_amount
    stopped = {step.stage: step.stopped for step in report.funnel}
    assert stopped == {
        CartStage.CART: 1,
        CartStage.CHECKOUT: 1,
        CartStage.DETAILS: 1,
        CartStage.SHIPPING: 1,  # the one refused the used code, delivery chosen
        CartStage.PAYMENT: 0,
        CartStage.PLACED: 0,
    }
    page = response.content.decode()
    assert 'data-testid="carts-recovered">1<' in page
    assert 'data-testid="funnel-details"' in page


@pytest.mark.parametrize("first", ["ship", "pickup"])
def test_the_checkout_opens_with_a_way_to_pay_that_fits_the_delivery_ticked(shop, first, monkeypatch):
    """A customer who leaves the defaults must not be told "paying at pickup needs pickup"."""
    from catalog.views import shop_checkout

    listed = shop_checkout.list_shipping_options

    def ordered(**kwargs):
        return sorted(listed(**kwargs), key=lambda o: (o.location is None) == (first == "pickup"))

    monkeypatch.setattr(shop_checkout, "list_shipping_options", ordered)
    client = Client()
    _add(client, shop["shirt"], 1)
    body = client.get("/shop/checkout/").content.decode()
    delivery = re.search(r'name="delivery" value="([^"]+)" checked', body).group(1)
    payment = re.search(r'name="payment" value="([^"]+)" checked', body).group(1)
    assert delivery.startswith(first)
    assert payment == ("bank_transfer" if first == "ship" else "at_pickup")
