"""Journey 9, "A bad day", each incident end to end through the pages.

- Two customers race for the last lamp: one gets it, the other is told at checkout (the real
  race runs on PostgreSQL, two threads posting at the same moment: marked ``services``).
- A Staff member double-clicks Place order: one order, and the second click's answer leads
  to it (on PostgreSQL, the second post arriving while the first is still placing).
- The SMTP server is down for ten minutes: the invoice e-mails fail, and go out once each
  when it is back (the beat task that re-sends overdue invoice e-mails).
- Redis restarts: the broker refuses the publish at commit; the payment stands, the clerk
  sees it recorded, and the invoice e-mail goes out once Redis is back. The cache refuses
  every call: the customer still follows her order on the tracking page.
- Someone guesses tracking codes: nothing found, then rate-limited.
- A Staff member tries a refund above their limit: refused with the reason, and put on
  record (a note on the order's timeline and a warning in the log).

The world (catalogue, stock, earlier orders) is set up with factories and services; what
the people do is done through the pages, posting each page's own form (``browser_forms``).
"""

import datetime
import logging
import secrets
import socket
import threading
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from email import message_from_bytes
from functools import partial
from unittest.mock import patch

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from billing.models import Invoice
from billing.tasks import resend_overdue_invoice_emails, send_invoice_email
from config.roles import OWNER, STAFF
from inventory.models import StockLevel
from orders.models import Cart, Order, OrderEvent
from orders.services import LineInput, place_order
from tests.billing.factories import store_with_legal_details
from tests.catalog.factories import ChannelFactory, ProductFactory
from tests.catalog.shop_fixtures import make_web_shop, web_variant
from tests.integration.browser_forms import page_errors, page_form
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory
from tests.shipping.factories import ShippingMethodFactory

D = Decimal
ADDRESS = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin"}
# A quiet hour of a weekday morning: every step below happens within it.
T0 = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9, 0)))


def _signed_in(role: str, username: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=username, role=role))
    return client


def _customer_order(*, email: str, name: str, price: Decimal = Decimal("49.00"), quantity=1) -> Order:
    """An order a customer placed earlier, not paid yet (bank transfer)."""
    channel = ChannelFactory(code="phone", name="Phone")
    variant = stocked_variant(channel=channel, on_hand=50, price=price, product=ProductFactory(name="Oak lamp"))
    customer = CustomerFactory(email=email, first_name=name, last_name="Customer")
    return place_order(
        channel=channel,
        customer=customer,
        email=email,
        customer_name=f"{name} Customer",
        lines=[LineInput(variant=variant, quantity=quantity)],
        billing_address=ADDRESS,
    )


def _take_payment(clerk: Client, order: Order, *, method="card", reference="T-1") -> object:
    """The clerk's "Take payment" page, filled and posted: the whole open balance."""
    page = clerk.get(f"/billing/orders/{order.number}/payments/new/")
    assert page.status_code == 200
    form = page_form(page, form_id="payment-form")
    assert form["amount"] == str(order.total_amount)
    form["method"] = method
    form["reference"] = reference
    return form.submit(clerk)


# --- two customers, one lamp --------------------------------------------------------------------


@pytest.fixture
def last_lamp():
    store_with_legal_details(name="Linen & Co")
    channel = make_web_shop()
    lamp = ProductFactory(name="Oak lamp")
    return web_variant(channel, on_hand=1, price=D("89.00"), sku="LAMP-OAK", product=lamp, name="")


def _at_checkout(lamp, *, email: str, name: str) -> tuple[Client, object]:
    """A customer puts the lamp in the cart and fills the checkout up to "Place order"."""
    browser = Client()
    product = browser.get(f"/shop/p/{lamp.product.slug}/")
    assert "Only 1 left" in product.content.decode()
    added = page_form(product, has="quantity").submit(browser)
    assert added.status_code == 302, page_errors(added)
    form = page_form(browser.get("/shop/checkout/"), has="delivery")
    form["email"] = email
    form["name"] = name
    form["delivery"] = next(v for v in form.choices["delivery"] if v.startswith("ship-"))
    for key, value in ADDRESS.items():
        form[key] = value
    form["payment"] = "bank_transfer"
    return browser, form


def _one_got_it_the_other_was_told(lamp, answers: dict) -> None:
    winners = [who for who, answer in answers.items() if answer.status_code == 302]
    assert len(winners) == 1, {who: page_errors(answer) for who, answer in answers.items()}
    (loser,) = set(answers) - set(winners)
    assert answers[loser].status_code == 400
    told = page_errors(answers[loser])
    assert "Sorry, someone bought the last ones while you were checking out (Oak lamp: 0 left" in told, told
    assert "LAMP-OAK" not in told  # the product's name, not the back-office SKU
    (order,) = Order.objects.all()
    assert order.email == f"{winners[0]}@example.com"
    assert answers[winners[0]]["Location"] == f"/shop/order/{order.tracking_code}/"
    level = StockLevel.objects.get(variant=lamp)
    assert (level.on_hand, level.reserved) == (1, 1)
    # the loser's cart is still there, not converted: they can change it and try again
    assert Cart.objects.get(email=f"{loser}@example.com").status == Cart.Status.OPEN


@pytest.mark.django_db
def test_the_second_customer_to_check_out_the_last_lamp_is_told_it_is_gone(last_lamp):
    anna, anna_form = _at_checkout(last_lamp, email="anna@example.com", name="Anna")
    ben, ben_form = _at_checkout(last_lamp, email="ben@example.com", name="Ben")
    answers = {"anna": anna_form.submit(anna), "ben": ben_form.submit(ben)}
    _one_got_it_the_other_was_told(last_lamp, answers)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_customers_checking_out_the_last_lamp_at_the_same_moment(last_lamp):
    assert connection.vendor == "postgresql"
    anna, anna_form = _at_checkout(last_lamp, email="anna@example.com", name="Anna")
    ben, ben_form = _at_checkout(last_lamp, email="ben@example.com", name="Ben")
    start = threading.Barrier(2)
    answers: dict = {}
    errors: list[BaseException] = []

    def check_out(who: str, browser: Client, form) -> None:
        try:
            start.wait(timeout=30)
            answers[who] = form.submit(browser)
        except BaseException as exc:  # anything but a clean answer fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=check_out, args=("anna", anna, anna_form)),
        threading.Thread(target=check_out, args=("ben", ben, ben_form)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], [repr(e) for e in errors]
    _one_got_it_the_other_was_told(last_lamp, answers)


# --- a double click on Place order ----------------------------------------------------------------


@pytest.fixture
def phone_desk():
    channel = ChannelFactory(code="phone", name="Phone")
    ShippingMethodFactory(code="parcel", name="DHL Parcel")
    lamp = stocked_variant(channel=channel, on_hand=5, price=D("49.00"), sku="LAMP-OAK")
    return {"lamp": lamp, "clerk": _signed_in(STAFF, "sam")}


def _phone_order_form(desk):
    clerk = desk["clerk"]
    form = page_form(clerk.get("/orders/new/"), form_id="order-entry-form")
    form["add_code"] = "LAMP-OAK"
    page = form.submit(clerk, ("action", "add_line"))
    assert page.status_code == 200, page_errors(page)
    form = page_form(page, form_id="order-entry-form")
    for key, value in {"new_first_name": "Grace", "new_last_name": "Hopper", "new_email": "grace@example.com"}.items():
        form[key] = value
    form["delivery"] = "ship"
    form["shipping_method"] = next(v for v in form.choices["shipping_method"] if v)
    for key in ("name", "line1", "postal_code", "city"):
        form[key] = ADDRESS[key]
    return form


@pytest.mark.django_db
def test_a_double_click_on_place_order_places_one_order(phone_desk):
    clerk = phone_desk["clerk"]
    form = _phone_order_form(phone_desk)
    # the browser sends the same form twice
    first = form.submit(clerk, ("action", "place"))
    second = form.submit(clerk, ("action", "place"))
    assert first.status_code == 302, page_errors(first)
    (order,) = Order.objects.all()
    assert first["Location"] == second["Location"] == f"/orders/{order.number}/"
    page = clerk.get(second["Location"]).content.decode()
    assert f"Order {order.number} was placed already." in page
    assert StockLevel.objects.get(variant=phone_desk["lamp"]).reserved == 1


def _second_click_while_the_first_is_placing(desk, *, first_done: str, twin_wait: float | None = None):
    """The second click arrives while the first post is still placing.

    ``first_done="soon"``: the first finishes a moment after the second arrived (a double
    click); ``"after"``: only once the second has been answered (a placement slower than the
    second post's wait, ``twin_wait`` seconds).
    """
    from orders.views import order_entry

    clerk = desk["clerk"]
    form = _phone_order_form(desk)
    twin = Client()
    twin.cookies = clerk.cookies  # the same browser: the same session
    placing, release = threading.Event(), threading.Event()
    real = order_entry.place_order_and_invoice_on_terms

    def slow_place(**kwargs):
        placing.set()
        release.wait(timeout=30)
        return real(**kwargs)

    first: dict = {}

    def click() -> None:
        try:
            first["response"] = form.submit(clerk, ("action", "place"))
        finally:
            connection.close()

    wait = order_entry.TWIN_WAIT_SECONDS if twin_wait is None else twin_wait
    with (
        patch.object(order_entry, "place_order_and_invoice_on_terms", slow_place),
        patch.object(order_entry, "TWIN_WAIT_SECONDS", wait),
    ):
        thread = threading.Thread(target=click)
        thread.start()
        assert placing.wait(timeout=30)
        if first_done == "soon":
            threading.Timer(0.3, release.set).start()
        second = form.submit(twin, ("action", "place"))
        release.set()
        thread.join(timeout=60)
    return first["response"], second


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_double_click_while_the_first_is_placing_leads_to_the_one_order(phone_desk):
    clerk = phone_desk["clerk"]
    first, second = _second_click_while_the_first_is_placing(phone_desk, first_done="soon")
    assert first.status_code == 302, page_errors(first)
    (order,) = Order.objects.all()
    # the second answer (the one the browser shows) waited for the first one's order
    assert second.status_code == 302, page_errors(second)
    assert first["Location"] == second["Location"] == f"/orders/{order.number}/"
    assert f"Order {order.number} was placed already." in clerk.get(second["Location"]).content.decode()
    assert StockLevel.objects.get(variant=phone_desk["lamp"]).reserved == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_second_click_answered_before_the_first_is_placed_never_places_it_again(phone_desk):
    clerk = phone_desk["clerk"]
    _first, second = _second_click_while_the_first_is_placing(phone_desk, first_done="after", twin_wait=0.4)
    assert second.status_code == 409
    shown = page_errors(second)
    assert "This order is still being placed" in shown and "place the order again" not in shown, shown
    # the clerk presses Place order again on that page: it leads to the order, not to a second one
    again = page_form(second, form_id="order-entry-form").submit(clerk, ("action", "place"))
    (order,) = Order.objects.all()
    assert again.status_code == 302 and again["Location"] == f"/orders/{order.number}/", page_errors(again)
    assert StockLevel.objects.get(variant=phone_desk["lamp"]).reserved == 1


# --- the SMTP server is down for ten minutes -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


def _worker_takes(callbacks) -> None:
    """What the worker does with the messages published at commit: each task once; a failed
    invoice e-mail's own retries are left out (the beat task below is what brings it back)."""
    for callback in callbacks:
        if isinstance(callback, partial) and callback.func == send_invoice_email.delay:
            send_invoice_email.apply(kwargs=callback.keywords, retries=send_invoice_email.max_retries, throw=False)
        else:
            callback()


@pytest.mark.django_db
def test_invoice_emails_go_out_once_each_when_smtp_is_back(settings, django_capture_on_commit_callbacks):
    store_with_legal_details(name="Linen & Co")
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    orders = [
        _customer_order(email="ada@example.com", name="Ada"),
        _customer_order(email="bob@example.com", name="Bob", price=D("19.00"), quantity=2),
    ]
    clerk = _signed_in(STAFF, "sam")

    # -- 9:00, SMTP is down: two bank transfers are booked; each invoice's e-mail fails
    with time_machine.travel(T0, tick=False):
        for order in orders:
            with django_capture_on_commit_callbacks(execute=False) as published:
                response = _take_payment(clerk, order, method="bank_transfer", reference=f"TR-{order.number}")
            assert response.status_code == 302, page_errors(response)
            _worker_takes(published)
    invoices = [order.invoices.get() for order in orders]
    for invoice in invoices:
        invoice.refresh_from_db()
        assert (invoice.email_state, invoice.email_attempts, invoice.emailed_at) == ("failed", 1, None)
        assert "refused" in invoice.email_error.lower()
        page = clerk.get(f"/billing/invoices/{invoice.number}/").content.decode()
        assert 'data-testid="email-state"><span class="status-badge status-danger"' in page

    # -- 9:05, still down: the beat finds nothing overdue yet
    with time_machine.travel(T0 + datetime.timedelta(minutes=5), tick=False):
        assert resend_overdue_invoice_emails.delay().get() == 0

    # -- 9:10 SMTP is back; 9:15 the beat re-sends both, 9:20 nothing more; a late retry sends nothing
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with time_machine.travel(T0 + datetime.timedelta(minutes=15), tick=False):
            assert resend_overdue_invoice_emails.delay().get() == 2
        with time_machine.travel(T0 + datetime.timedelta(minutes=20), tick=False):
            assert resend_overdue_invoice_emails.delay().get() == 0
            for invoice in invoices:
                assert send_invoice_email.apply(kwargs={"invoice_id": invoice.pk}, retries=1).get() is False
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.messages) == ["ada@example.com", "bob@example.com"]
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.email_state == "sent" and invoice.email_attempts == 2
        (message,) = [m for m in inbox.messages if invoice.number in m["Subject"]]
        parts = {part.get_content_type(): part for part in message.walk()}
        assert parts["application/pdf"].get_filename() == f"{invoice.number}.pdf"
        assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")


# --- Redis restarts: the broker refuses the publish at commit ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_payment_taken_while_the_broker_is_down_stands_and_its_invoice_email_follows(mailoutbox, caplog):
    store_with_legal_details(name="Linen & Co")
    order = _customer_order(email="ada@example.com", name="Ada")
    clerk = _signed_in(STAFF, "sam")
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with time_machine.travel(T0, tick=False), patch("celery.app.task.Task.apply_async", side_effect=refused):
        response = _take_payment(clerk, order)
    # the clerk sees the payment recorded, and it is: payment, paid order, invoice committed
    assert response.status_code == 302, page_errors(response)
    assert response["Location"] == f"/orders/{order.number}/"
    page = clerk.get(response["Location"]).content.decode()
    assert f"Payment of {order.total_amount} EUR recorded on order {order.number}." in page
    order.refresh_from_db()
    assert order.payment_status == "paid" and order.payments.count() == 1
    invoice = order.invoices.get()
    assert invoice.emailed_at is None and invoice.email_queued_at == T0
    assert [m for m in mailoutbox if invoice.number in m.subject] == []
    assert "Connection refused" in caplog.text  # the lost publish is in the log
    # -- Redis is back; the beat's next run after ten minutes sends it, once
    with time_machine.travel(T0 + datetime.timedelta(minutes=5), tick=False):
        assert resend_overdue_invoice_emails.delay().get() == 0
    with time_machine.travel(T0 + datetime.timedelta(minutes=15), tick=False):
        assert resend_overdue_invoice_emails.delay().get() == 1
        assert resend_overdue_invoice_emails.delay().get() == 0
    (message,) = [m for m in mailoutbox if invoice.number in m.subject]
    assert message.to == ["ada@example.com"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    invoice.refresh_from_db()
    assert invoice.email_state == "sent"


@contextmanager
def _cache_down():
    """Redis restarting, as the cache sees it: every call is refused."""
    backend = caches["default"]
    refused = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with ExitStack() as stack:
        for name in ("add", "get", "set", "incr", "delete", "get_many", "set_many", "delete_many"):
            stack.enter_context(patch.object(backend, name, side_effect=refused))
        yield


@pytest.mark.django_db
def test_while_redis_restarts_the_customer_still_follows_her_order(caplog):
    order = _customer_order(email="ada@example.com", name="Ada")
    with _cache_down(), caplog.at_level(logging.WARNING, logger="shipping.throttle"):
        page = Client().get(f"/track/{order.tracking_code}/")
    assert page.status_code == 200 and order.number in page.content.decode()
    assert "Cache unreachable; track requests not counted or limited." in caplog.text


@pytest.mark.django_db
def test_while_redis_restarts_a_phone_order_can_still_be_placed(phone_desk):
    form = _phone_order_form(phone_desk)
    with _cache_down():
        answer = form.submit(phone_desk["clerk"], ("action", "place"))
    assert answer.status_code == 302, page_errors(answer)
    assert Order.objects.count() == 1


# --- someone guesses tracking codes -------------------------------------------------------------


@pytest.mark.django_db
def test_guessing_tracking_codes_finds_nothing_and_is_rate_limited(settings):
    settings.TRACKING_RATE_LIMIT = 5
    order = _customer_order(email="ada@example.com", name="Ada")
    guesser_ip, ada_ip = f"203.0.113.{secrets.randbelow(250)}", f"198.51.100.{secrets.randbelow(250)}"
    guesser, ada = Client(REMOTE_ADDR=guesser_ip), Client(REMOTE_ADDR=ada_ip)
    minute = T0.replace(second=0)
    try:
        with time_machine.travel(minute + datetime.timedelta(seconds=5), tick=False):
            answers = [guesser.get(f"/track/{secrets.token_urlsafe(16)}/") for _ in range(5)]
            assert [a.status_code for a in answers] == [404] * 5
            for answer in answers:
                assert order.number not in answer.content.decode() and "Ada" not in answer.content.decode()
            # the sixth try in the minute is refused, even with a real code
            limited = guesser.get(f"/track/{secrets.token_urlsafe(16)}/")
            assert limited.status_code == 429 and limited["Retry-After"] == "60"
            assert "Too many requests" in limited.content.decode()
            assert guesser.get(f"/track/{order.tracking_code}/").status_code == 429
            assert guesser.get(f"/shop/order/{order.tracking_code}/").status_code in (404, 429)  # same budget
            # the customer, from her own address, still follows her order
            mine = ada.get(f"/track/{order.tracking_code}/")
            assert mine.status_code == 200 and order.number in mine.content.decode()
        with time_machine.travel(minute + datetime.timedelta(seconds=65), tick=False):
            assert guesser.get(f"/track/{secrets.token_urlsafe(16)}/").status_code == 404  # a new minute
    finally:
        window = int(minute.timestamp() // 60)
        cache.delete_many(
            [f"throttle:track:{ip}:{w}" for ip in (guesser_ip, ada_ip) for w in range(window - 1, window + 3)]
        )


# --- a refund above the staff limit ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_refund_above_the_limit_is_refused_with_the_reason_and_put_on_record(
    caplog, django_capture_on_commit_callbacks
):
    store_with_legal_details(name="Linen & Co")
    order = _customer_order(email="ada@example.com", name="Ada", price=D("89.00"), quantity=2)  # 211.82
    clerk = _signed_in(STAFF, "sam")
    with django_capture_on_commit_callbacks(execute=True):
        assert _take_payment(clerk, order).status_code == 302

    def refund(client: Client, amount: str):
        form = page_form(client.get(f"/billing/orders/{order.number}/refunds/new/"), has="amount")
        form["amount"] = amount
        form["reason"] = "Lamp flickers, customer keeps it"
        review = form.submit(client)
        assert review.status_code == 200, page_errors(review)
        return page_form(review, has="amount").submit(client, ("confirm", "1"))

    with caplog.at_level(logging.WARNING, logger="billing.services.payments"):
        answer = refund(clerk, "150.00")
    # refused, with the reason next to the form; nothing refunded, no credit note
    assert answer.status_code == 200
    assert "Refunds above 100.00 EUR need the Owner." in page_errors(answer)
    assert not order.payments.filter(kind="refund").exists()
    assert not order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()
    # put on record: the order's timeline says who tried what, and the log has it
    (note,) = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE)
    assert note.by.username == "sam"
    assert "Refund of 150.00 EUR refused: Refunds above 100.00 EUR need the Owner." in note.message
    timeline = clerk.get(f"/orders/{order.number}/").content.decode()
    assert "Refund of 150.00 EUR refused" in timeline
    (record,) = [r for r in caplog.records if r.name == "billing.services.payments"]
    assert record.levelno == logging.WARNING
    assert order.number in record.getMessage() and "sam" in record.getMessage()
    # the Owner, asked, makes the refund
    with django_capture_on_commit_callbacks(execute=True):
        answer = refund(_signed_in(OWNER, "olga"), "150.00")
    assert answer.status_code == 302, page_errors(answer)
    assert order.payments.get(kind="refund").amount == D("150.00")
    assert order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
