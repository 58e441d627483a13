"""Abandoned-cart reminders with frozen time: due at the right moments, each sent once,
none without consent, after unsubscribing or for a cart already ordered."""

import threading
from datetime import timedelta
from decimal import Decimal
from smtplib import SMTPException
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from catalog.models import DiscountCode, StoreSettings
from orders.exceptions import InvalidOrder
from orders.models import Cart, CartEvent
from orders.selectors.carts import list_carts_due_for_reminder
from orders.services import (
    add_to_cart,
    get_or_create_cart,
    give_cart_email,
    place_order_from_cart,
    send_cart_reminder,
    unsubscribe_cart,
)
from orders.tasks import send_cart_reminders
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def _cart(*, email="ada@example.com", consent=True, session="s1", price=Decimal("20.00")):
    web = ChannelFactory(code="web")
    shirt = stocked_variant(channel=web, on_hand=10, price=price)
    cart = get_or_create_cart(channel=web, session_key=session)
    add_to_cart(cart=cart, variant=shirt, quantity=2)
    if email:
        give_cart_email(cart=cart, email=email, consent=consent)
    return cart


def _run(at) -> int:
    with time_machine.travel(at, tick=False):
        return send_cart_reminders.delay().get()


def _place(cart, **kwargs):
    return place_order_from_cart(
        cart=cart,
        email=cart.email or "ada@example.com",
        customer_name="Ada Lovelace",
        shipping_address={"name": "Ada", "line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"},
        **kwargs,
    )


@pytest.fixture
def cart():
    with time_machine.travel(T0, tick=False):
        return _cart()


def test_reminders_go_out_after_1_hour_then_24_hours_and_never_twice(cart, mailoutbox):
    assert _run(T0 + timedelta(minutes=59)) == 0
    assert _run(T0 + timedelta(minutes=61)) == 1
    assert _run(T0 + timedelta(minutes=62)) == 0  # the task runs again: nothing more
    assert _run(T0 + timedelta(hours=23, minutes=59)) == 0
    assert _run(T0 + timedelta(hours=24, minutes=1)) == 1
    assert _run(T0 + timedelta(hours=24, minutes=6)) == 0
    assert _run(T0 + timedelta(days=10)) == 0  # at most two
    cart.refresh_from_db()
    assert cart.reminders_sent == 2
    assert cart.last_reminded_at == T0 + timedelta(hours=24, minutes=1)
    assert len(mailoutbox) == 2
    assert list(cart.events.filter(kind=CartEvent.Kind.REMINDED).values_list("quantity", flat=True)) == [2, 1]


def test_the_reminder_shows_the_cart_and_its_links(cart, mailoutbox):
    _run(T0 + timedelta(hours=1, minutes=5))
    (message,) = mailoutbox
    assert message.to == ["ada@example.com"]
    assert "2 × " in message.body and "Total (incl. VAT): €47.60" in message.body  # 40.00 net + 19 %
    assert f"/shop/cart/restore/{cart.token}/" in message.body
    assert f"/shop/cart/unsubscribe/{cart.token}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"/shop/cart/restore/{cart.token}/" in html
    assert message.extra_headers["List-Unsubscribe"].endswith(f"/shop/cart/unsubscribe/{cart.token}/>")


def test_new_activity_restarts_the_clock(cart, mailoutbox):
    assert _run(T0 + timedelta(hours=2)) == 1
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        add_to_cart(cart=cart, variant=cart.lines.first().variant, quantity=1)
    assert _run(T0 + timedelta(hours=25)) == 0  # 22 h after the last activity
    assert _run(T0 + timedelta(hours=27, minutes=1)) == 1


def test_a_cart_found_late_gets_its_reminders_spaced_out(mailoutbox):
    with time_machine.travel(T0, tick=False):
        _cart()
    assert _run(T0 + timedelta(days=3)) == 1  # both would be "due": only the first goes
    assert _run(T0 + timedelta(days=3, minutes=5)) == 0
    assert _run(T0 + timedelta(days=3, hours=23, minutes=1)) == 1


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(lambda c: None, id="control"),
        pytest.param(lambda c: Cart.objects.filter(pk=c.pk).update(reminder_consent=False), id="no-consent"),
        pytest.param(lambda c: unsubscribe_cart(token=c.token), id="unsubscribed"),
        pytest.param(lambda c: Cart.objects.filter(pk=c.pk).update(email=""), id="no-email"),
        pytest.param(lambda c: c.lines.all().delete(), id="empty"),
        pytest.param(lambda c: _place(c), id="converted"),
    ],
)
def test_who_gets_no_reminder(cart, mailoutbox, setup, request):
    with time_machine.travel(T0, tick=False):
        setup(cart)
    sent = _run(T0 + timedelta(hours=2))
    expected = 1 if request.node.callspec.id == "control" else 0
    assert sent == expected
    assert len([m for m in mailoutbox if "cart" in m.subject.lower()]) == expected


def test_no_reminders_when_the_store_turns_them_off(cart, mailoutbox):
    StoreSettings.objects.create(pk=1, cart_reminders_max=0)
    assert _run(T0 + timedelta(days=2)) == 0
    assert mailoutbox == []


def test_the_store_threshold_and_delays_are_read(mailoutbox):
    StoreSettings.objects.create(
        pk=1, abandoned_cart_after_minutes=180, cart_first_reminder_after_hours=1, cart_reminders_max=1
    )
    with time_machine.travel(T0, tick=False):
        _cart()
    assert _run(T0 + timedelta(hours=2)) == 0  # the 3-hour threshold wins over the 1-hour delay
    assert _run(T0 + timedelta(hours=3, minutes=1)) == 1


def test_a_failed_send_is_not_counted_and_the_next_run_sends(cart, mailoutbox):
    with patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPException("down")):
        assert _run(T0 + timedelta(hours=1, minutes=1)) == 0
    cart.refresh_from_db()
    assert cart.reminders_sent == 0 and not cart.events.filter(kind=CartEvent.Kind.REMINDED).exists()
    assert _run(T0 + timedelta(hours=1, minutes=6)) == 1
    assert len(mailoutbox) == 1


def test_claiming_a_reminder_that_is_not_due_sends_nothing(cart, mailoutbox):
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert send_cart_reminder(cart_id=cart.pk, number=2) is False  # the first comes first
        assert send_cart_reminder(cart_id=cart.pk, number=1) is True
        assert send_cart_reminder(cart_id=cart.pk, number=1) is False  # a second worker with the same job
    assert len(mailoutbox) == 1


def test_list_carts_due_for_reminder_is_one_query_after_the_settings(cart, django_assert_num_queries):
    with time_machine.travel(T0 + timedelta(hours=2), tick=False), django_assert_num_queries(2):
        assert list_carts_due_for_reminder() == [(cart.pk, 1)]


# ------------------------------------------------------------------------------
# The incentive and recovery
# ------------------------------------------------------------------------------


@pytest.fixture
def incentive():
    return StoreSettings.objects.create(
        pk=1,
        cart_incentive_enabled=True,
        cart_incentive_kind="percent",
        cart_incentive_value=Decimal("10"),
        cart_incentive_valid_days=7,
    )


def test_the_incentive_is_one_code_per_cart_in_every_reminder(incentive, cart, mailoutbox):
    _run(T0 + timedelta(hours=1, minutes=1))
    _run(T0 + timedelta(hours=24, minutes=1))
    cart.refresh_from_db()
    code = DiscountCode.objects.get()
    assert cart.incentive_code == code.code and code.code.startswith("BACK")
    assert code.usage_limit == 1
    assert code.valid_until == T0 + timedelta(hours=1, minutes=1) + timedelta(days=7)
    assert all(code.code in m.body for m in mailoutbox) and len(mailoutbox) == 2
    assert "10 % off" in mailoutbox[0].body


def test_an_order_from_a_reminded_cart_is_recovered_and_the_code_works_once(incentive, cart, mailoutbox):
    # given a reminded cart with its code
    _run(T0 + timedelta(hours=1, minutes=1))
    cart.refresh_from_db()
    # when the customer comes back and orders with the code
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        order = _place(cart, discount_code=cart.incentive_code.lower())
    # then
    cart.refresh_from_db()
    assert cart.recovered and cart.incentive_used and cart.order == order
    assert order.discount_amount == Decimal("4.00")  # 10 % of 40.00
    # the code is spent: another cart cannot use it
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        other = _cart(email="bob@example.com", session="s2")
        with pytest.raises(InvalidOrder):
            _place(other, discount_code=cart.incentive_code)
    other.refresh_from_db()
    assert other.status == Cart.Status.OPEN
    # and no reminder goes to the ordered cart
    assert _run(T0 + timedelta(days=2)) == 1  # only the other cart's
    assert Cart.objects.get(pk=cart.pk).reminders_sent == 1


def test_an_order_from_a_cart_never_reminded_is_not_recovered(cart):
    _place(cart)
    cart.refresh_from_db()
    assert not cart.recovered and not cart.incentive_used


def test_a_reminded_cart_ordered_without_the_code_is_recovered_without_incentive(incentive, cart):
    _run(T0 + timedelta(hours=1, minutes=1))
    _place(Cart.objects.get(pk=cart.pk))
    cart.refresh_from_db()
    assert cart.recovered and not cart.incentive_used


# ------------------------------------------------------------------------------
# Two workers at once, on PostgreSQL
# ------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once():
    assert connection.vendor == "postgresql"
    with time_machine.travel(T0, tick=False):
        carts = [_cart(email=f"c{i}@example.com", session=f"s{i}") for i in range(5)]
    mail.outbox = []
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait(timeout=30)
            with time_machine.travel(T0 + timedelta(hours=2), tick=False):
                for cart in carts:
                    sent = send_cart_reminder(cart_id=cart.pk, number=1)
                    with lock:
                        results.append(sent)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], [repr(e) for e in errors]
    assert sorted(results) == [False] * 5 + [True] * 5
    assert len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"c{i}@example.com" for i in range(5)]
    assert set(Cart.objects.values_list("reminders_sent", flat=True)) == {1}
    assert CartEvent.objects.filter(kind=CartEvent.Kind.REMINDED).count() == 5


def test_the_store_settings_refuse_a_percentage_above_100():
    from django.core.exceptions import ValidationError

    store = StoreSettings(pk=1, cart_incentive_kind="percent", cart_incentive_value=Decimal("150"))
    with pytest.raises(ValidationError, match="at most 100"):
        store.full_clean()
    store.cart_incentive_kind = "fixed"
    store.full_clean()


def test_one_cart_failing_does_not_stop_the_others(mailoutbox):
    with time_machine.travel(T0, tick=False):
        first = _cart(email="a@example.com", session="a")
        _cart(email="b@example.com", session="b")
    real = send_cart_reminder

    def flaky(*, cart_id, number, **kwargs):
        if cart_id == first.pk:
            raise RuntimeError("boom")
        return real(cart_id=cart_id, number=number, **kwargs)

    with patch("orders.services.send_cart_reminder", side_effect=flaky):
        assert _run(T0 + timedelta(hours=2)) == 1
    assert [m.to for m in mailoutbox] == [["b@example.com"]]
    assert _run(T0 + timedelta(hours=2, minutes=5)) == 1  # the failed one goes on the next run
