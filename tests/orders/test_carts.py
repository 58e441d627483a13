"""Cart services: what the storefront calls, each step recorded with its time."""

from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch

import pytest
import time_machine
from django.utils import timezone

from catalog.models import StoreSettings
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation
from orders.exceptions import CartError
from orders.models import Cart, CartEvent, CartLine, CartStage, Order
from orders.selectors.carts import get_cart_contents, get_open_cart
from orders.services import (
    add_to_cart,
    get_or_create_cart,
    give_cart_email,
    place_order_from_cart,
    record_cart_step,
    remove_from_cart,
    restore_cart,
    set_cart_quantity,
    unsubscribe_cart,
)
from tests.catalog.factories import ChannelFactory, CustomerGroupFactory, ProductFactory, VariantFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return ChannelFactory(code="web")


def _kinds(cart):
    return list(CartEvent.objects.filter(cart=cart).order_by("id").values_list("kind", flat=True))


def _place(cart, **kwargs):
    fields = {
        "email": "ada@example.com",
        "customer_name": "Ada Lovelace",
        "shipping_address": {"name": "Ada", "line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"},
    }
    return place_order_from_cart(cart=cart, **(fields | kwargs))


def test_get_or_create_cart_finds_the_session_cart_by_token_or_session(web):
    # given
    cart = get_or_create_cart(channel=web, session_key="s1")
    # when / then
    assert get_or_create_cart(channel=web, session_key="s1") == cart
    assert get_or_create_cart(channel=web, session_key="s2", cart_token=str(cart.token)) == cart
    cart.refresh_from_db()
    assert cart.session_key == "s2"  # the token follows the customer to a new session
    assert get_or_create_cart(channel=web, session_key="s3", cart_token="not-a-uuid") != cart
    assert get_open_cart(channel=web, session_key="nobody") is None


def test_add_to_cart_records_the_step_and_merges_lines(web):
    # given
    shirt = stocked_variant(channel=web, on_hand=5, price=Decimal("20.00"))
    cart = get_or_create_cart(channel=web, session_key="s1")
    # when
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    add_to_cart(cart=cart, variant=shirt, quantity=1)
    # then
    assert CartLine.objects.get(cart=cart).quantity == 3
    assert _kinds(cart) == ["item_added", "item_added"]
    assert CartEvent.objects.filter(cart=cart).first().quantity == 1
    contents = get_cart_contents(cart=cart)
    assert contents.subtotal == Decimal("60.00")
    assert (contents.net, contents.gross, contents.items[0].line_gross) == (
        Decimal("60.00"),
        Decimal("71.40"),
        Decimal("71.40"),
    )
    assert contents.items[0].available == 5
    cart.refresh_from_db()
    assert cart.stage == CartStage.CART


def test_quantities_above_availability_are_refused_and_change_nothing(web):
    # given
    shirt = stocked_variant(channel=web, on_hand=3)
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    # when / then
    with pytest.raises(CartError, match="Only 3"):
        add_to_cart(cart=cart, variant=shirt, quantity=2)
    with pytest.raises(CartError, match="Only 3"):
        set_cart_quantity(cart=cart, variant=shirt, quantity=4)
    assert CartLine.objects.get(cart=cart).quantity == 2
    assert _kinds(cart) == ["item_added"]


def test_out_of_stock_is_refused_unless_backorders_are_allowed(web):
    empty = stocked_variant(channel=web, on_hand=0)
    backorder = stocked_variant(channel=web, on_hand=0, allow_backorder=True)
    cart = get_or_create_cart(channel=web, session_key="s1")
    with pytest.raises(CartError, match="out of stock"):
        add_to_cart(cart=cart, variant=empty, quantity=1)
    add_to_cart(cart=cart, variant=backorder, quantity=4)
    assert CartLine.objects.get(cart=cart).variant == backorder


def test_a_variant_the_channel_does_not_sell_is_refused(web):
    other = VariantFactory(product=ProductFactory(), price__channel=ChannelFactory(code="wholesale"))
    inactive = stocked_variant(channel=web, is_active=False)
    cart = get_or_create_cart(channel=web, session_key="s1")
    for variant in (other, inactive):
        with pytest.raises(CartError, match="not sold here"):
            add_to_cart(cart=cart, variant=variant, quantity=1)
    assert not cart.lines.exists()


@pytest.mark.parametrize("quantity", [0, -1, "2", 1.5, True, 10_001])
def test_bad_quantities_are_refused(web, quantity):
    shirt = stocked_variant(channel=web, on_hand=5)
    cart = get_or_create_cart(channel=web, session_key="s1")
    with pytest.raises(CartError):
        add_to_cart(cart=cart, variant=shirt, quantity=quantity)
    assert not cart.lines.exists()


def test_set_quantity_and_remove_record_their_steps(web):
    shirt = stocked_variant(channel=web, on_hand=5)
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=1)
    set_cart_quantity(cart=cart, variant=shirt, quantity=3)
    set_cart_quantity(cart=cart, variant=shirt, quantity=3)  # no change, no event
    set_cart_quantity(cart=cart, variant=shirt, quantity=0)
    remove_from_cart(cart=cart, variant=shirt)  # already gone: nothing recorded
    assert _kinds(cart) == ["item_added", "quantity_changed", "item_removed"]
    assert not cart.lines.exists()


def test_steps_move_the_stage_forward_and_the_activity_time(web):
    shirt = stocked_variant(channel=web, on_hand=5)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        cart = get_or_create_cart(channel=web, session_key="s1")
        add_to_cart(cart=cart, variant=shirt, quantity=1)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        record_cart_step(cart=cart, kind=CartEvent.Kind.CHECKOUT_STARTED)
        give_cart_email(cart=cart, email=" ada@example.com ", consent=True)
        record_cart_step(cart=cart, kind=CartEvent.Kind.SHIPPING_CHOSEN, detail="DHL")
        record_cart_step(cart=cart, kind=CartEvent.Kind.PAYMENT_STARTED)
        record_cart_step(cart=cart, kind=CartEvent.Kind.PAYMENT_FAILED, detail="card declined")
    cart.refresh_from_db()
    assert cart.stage == CartStage.PAYMENT
    assert cart.last_activity_at == start + timedelta(minutes=5)
    assert cart.email == "ada@example.com" and cart.reminder_consent
    assert _kinds(cart) == [
        "item_added",
        "checkout_started",
        "details_given",
        "shipping_chosen",
        "payment_started",
        "payment_failed",
    ]
    # a later, earlier step does not move the stage back
    record_cart_step(cart=cart, kind=CartEvent.Kind.CHECKOUT_STARTED)
    cart.refresh_from_db()
    assert cart.stage == CartStage.PAYMENT
    with pytest.raises(ValueError):
        record_cart_step(cart=cart, kind=CartEvent.Kind.REMINDED)


def test_give_cart_email_refuses_a_bad_address_and_does_not_borrow_a_customer(web):
    CustomerFactory(email="known@example.com", group=CustomerGroupFactory())
    cart = get_or_create_cart(channel=web, session_key="s1")
    with pytest.raises(CartError, match="valid e-mail"):
        give_cart_email(cart=cart, email="not an address", consent=True)
    cart.refresh_from_db()
    assert cart.email == "" and not cart.reminder_consent
    give_cart_email(cart=cart, email="Known@example.com", consent=False)
    cart.refresh_from_db()
    assert cart.email == "Known@example.com" and not cart.reminder_consent
    assert cart.customer is None  # typing an address does not bring that customer's prices


def test_place_order_from_cart_places_once_and_converts_the_cart(web, django_capture_on_commit_callbacks):
    # given
    shirt = stocked_variant(channel=web, on_hand=5, price=Decimal("20.00"))
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    # when: a double click
    with patch("orders.services.placement.send_order_email_task"):
        first = _place(cart)
        second = _place(cart)
    # then
    assert first == second
    assert Order.objects.count() == 1
    assert Reservation.objects.filter(order_line__order=first).count() == 1
    cart.refresh_from_db()
    assert cart.status == Cart.Status.CONVERTED and cart.order == first and cart.stage == CartStage.PLACED
    assert not cart.recovered
    assert _kinds(cart)[-1] == "order_placed"
    assert get_open_cart(channel=web, session_key="s1") is None
    with pytest.raises(CartError, match="already been ordered"):
        add_to_cart(cart=cart, variant=shirt, quantity=1)


def test_place_order_from_an_empty_cart_is_refused(web):
    cart = get_or_create_cart(channel=web, session_key="s1")
    with pytest.raises(CartError, match="empty"):
        _place(cart)
    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN and not Order.objects.exists()


def test_a_refused_placement_leaves_the_cart_open(web):
    shirt = stocked_variant(channel=web, on_hand=2)
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    # someone else bought the stock meanwhile
    other = get_or_create_cart(channel=web, session_key="s2")
    add_to_cart(cart=other, variant=shirt, quantity=2)
    _place(other)
    with pytest.raises(InsufficientStock):
        _place(cart)
    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN and cart.order is None
    assert Order.objects.count() == 1


def test_restore_and_unsubscribe_by_token(web):
    shirt = stocked_variant(channel=web, on_hand=5)
    cart = get_or_create_cart(channel=web, session_key="phone")
    add_to_cart(cart=cart, variant=shirt, quantity=1)
    give_cart_email(cart=cart, email="ada@example.com", consent=True)
    twin = get_or_create_cart(channel=web, session_key="laptop-old")
    give_cart_email(cart=twin, email="ADA@example.com", consent=True)
    # restore on another device
    restored = restore_cart(token=str(cart.token), session_key="laptop")
    assert restored.session_key == "laptop"
    assert get_open_cart(channel=web, session_key="laptop") == cart
    # unsubscribe: this cart and the address's other open carts
    unsubscribe_cart(token=cart.token)
    unsubscribe_cart(token=cart.token)  # twice is fine, one event
    assert Cart.objects.filter(unsubscribed=True).count() == 2
    assert _kinds(cart)[-2:] == ["restored", "unsubscribed"]
    for bad in ("nope", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(CartError):
            restore_cart(token=bad, session_key="x")
        with pytest.raises(CartError):
            unsubscribe_cart(token=bad)


@pytest.fixture
def owner():
    from tests.orders.factories import UserFactory

    return UserFactory(role="Owner", email="owner@example.com")


def test_owner_is_alerted_once_about_a_cart_above_the_threshold(
    web, owner, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    StoreSettings.objects.create(pk=1, cart_alert_above=Decimal("50.00"))
    shirt = stocked_variant(channel=web, on_hand=10, price=Decimal("20.00"))
    cart = get_or_create_cart(channel=web, session_key="s1")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=2)  # 40: below
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=1)  # 60: above
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=1)  # still above: no second e-mail
    # then
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["owner@example.com"]
    assert "60" in mailoutbox[0].body
    cart.refresh_from_db()
    assert cart.owner_alerted_at is not None


def test_a_cart_alert_refused_by_the_broker_leaves_the_cart_change_standing_and_the_next_change_sends_it(
    web, owner, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    # given
    StoreSettings.objects.create(pk=1, cart_alert_above=Decimal("50.00"))
    shirt = stocked_variant(channel=web, on_hand=10, price=Decimal("20.00"))
    cart = get_or_create_cart(channel=web, session_key="s1")
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    # when: the alert's publish is refused at commit
    broker_down = patch("celery.app.task.Task.apply_async", side_effect=refused)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=3)  # 60: above
    # then: the line is in the cart, nothing was sent, the refusal is logged
    assert CartLine.objects.get(cart=cart).quantity == 3
    assert mailoutbox == [] and "Connection refused" in caplog.text
    cart.refresh_from_db()
    assert cart.owner_alerted_at is None
    # the cart's next change (broker back) sends the alert, once
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        add_to_cart(cart=cart, variant=shirt, quantity=1)
    assert len(mailoutbox) == 1


def test_a_failed_online_payment_after_placing_is_recorded_on_the_converted_cart(web):
    shirt = stocked_variant(channel=web, on_hand=5)
    cart = get_or_create_cart(channel=web, session_key="s1")
    add_to_cart(cart=cart, variant=shirt, quantity=1)
    _place(cart)
    record_cart_step(cart=cart, kind=CartEvent.Kind.PAYMENT_FAILED, detail="declined")
    cart.refresh_from_db()
    assert _kinds(cart)[-1] == "payment_failed" and cart.stage == CartStage.PLACED
    with pytest.raises(CartError):
        record_cart_step(cart=cart, kind=CartEvent.Kind.CHECKOUT_STARTED)
