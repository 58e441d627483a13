"""The last use of a code goes to exactly one order, also when two are placed at the same moment on PostgreSQL.

Two threads, each with its own connection (and so its own PostgreSQL backend), wait at a
barrier and then place an order with the same code, which has one use left. The code's row
lock in ``redeem_discount_code`` makes the second wait for the first to commit, re-read the
count and refuse.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import DiscountCode, DiscountRedemption
from orders.exceptions import InvalidOrder
from orders.models import Order
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
from tests.inventory.factories import stocked_variant

WORKERS = 6


def _race(place) -> tuple[list[Order], list[Exception], list[BaseException]]:
    start = threading.Barrier(WORKERS)
    placed: list[Order] = []
    refused: list[Exception] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            start.wait(timeout=30)
            try:
                order = place(n)
            except InvalidOrder as exc:
                with lock:
                    refused.append(exc)
            else:
                with lock:
                    placed.append(order)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return placed, refused, errors


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_code_with_one_use_left_is_used_by_exactly_one_of_concurrent_orders():
    # given a code used once of two, committed so that every connection sees it
    assert connection.vendor == "postgresql"
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=50, price=Decimal("20.00"))
    code = DiscountCodeFactory(code="LAST", usage_limit=2)
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)

    # when several orders with the code are placed at once
    placed, refused, errors = _race(
        lambda n: place_order(
            channel=channel,
            lines=[LineInput(variant=variant, quantity=1)],
            email=f"buyer{n}@example.com",
            discount_code="last",
        )
    )

    # then exactly one got it; the others were told, and left nothing behind
    assert errors == []
    assert len(placed) == 1
    assert len(refused) == WORKERS - 1
    assert all("used up" in exc.message for exc in refused)
    code.refresh_from_db()
    assert code.times_used == 2
    assert DiscountRedemption.objects.count() == 1
    assert Order.objects.count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_customer_cannot_use_a_once_per_customer_code_twice_at_the_same_moment():
    channel = ChannelFactory()
    variant = stocked_variant(channel=channel, on_hand=50, price=Decimal("20.00"))
    DiscountCodeFactory(code="MINE", per_customer_limit=1)

    placed, refused, errors = _race(
        lambda n: place_order(
            channel=channel,
            lines=[LineInput(variant=variant, quantity=1)],
            email="same@example.com",
            discount_code="MINE",
        )
    )

    assert errors == []
    assert len(placed) == 1
    assert all("already used" in exc.message for exc in refused)
    assert DiscountRedemption.objects.count() == 1
