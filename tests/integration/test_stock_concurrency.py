"""Many writers at once on PostgreSQL: hot SKUs sell out exactly, never twice, never deadlock.

Eight threads, each with its own Django connection (connections are per thread) and so its
own PostgreSQL backend, place orders at the same moment for three hot SKUs with 100 units
each. Demand is about twice the stock, in random quantities and random line order, so that
transactions that lock two rows in opposite orders would deadlock if ``reserve_stock`` did
not lock in one global order. psycopg releases the GIL while it waits on the server, so the
transactions really overlap.
"""

import random
import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from inventory.selectors import list_stock_discrepancies
from orders.models import Order, OrderLine
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

WORKERS = 8
STOCK = 100


def plan_orders(variants, *, seed: int) -> list[list[tuple[int, int]]]:
    """About twice the stock in orders of 1–3 lines (quantities 1–3, shuffled line order),
    then single units of each SKU so that whatever is left at the end is taken too."""
    rng = random.Random(seed)
    plan: list[list[tuple[int, int]]] = []
    demand = 0
    while demand < 2 * STOCK * len(variants) // WORKERS:
        chosen = rng.sample(variants, rng.randint(1, len(variants)))
        lines = [(v.pk, rng.randint(1, 3)) for v in chosen]
        demand += sum(q for _pk, q in lines)
        plan.append(lines)
    plan.extend([(v.pk, 1)] for v in variants for _ in range(3))
    return plan


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_eight_writers_sell_three_hot_skus_exactly_once():
    # given three hot SKUs with 100 units each, committed so that every connection sees them
    assert connection.vendor == "postgresql"
    channel = ChannelFactory()
    variants = [stocked_variant(channel=channel, on_hand=STOCK) for _ in range(3)]
    by_pk = {v.pk: v for v in variants}
    plans = [plan_orders(variants, seed=worker) for worker in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    placed: list[int] = []
    refused: list[InsufficientStock] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    backends: set[int] = set()

    def worker(plan) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with lock:
                backends.add(pid)
            start.wait(timeout=30)
            for lines in plan:
                try:
                    order = place_order(
                        channel=channel, lines=[LineInput(variant=by_pk[pk], quantity=q) for pk, q in lines]
                    )
                except InsufficientStock as exc:
                    with lock:
                        refused.append(exc)
                else:
                    with lock:
                        placed.append(order.pk)
        except BaseException as exc:  # anything else, deadlocks included, fails the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(plan,)) for plan in plans]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then every thread finished, on its own connection, with no error but clean refusals
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], [repr(e) for e in errors]
    assert len(backends) == WORKERS
    assert len(placed) + len(refused) == sum(len(plan) for plan in plans)
    assert refused, "demand was twice the stock: some orders must have been refused"
    # each hot SKU is sold out exactly: 100 reserved, no more, no less
    levels = {level.variant_id: level for level in StockLevel.objects.all()}
    assert {pk: (lv.on_hand, lv.reserved) for pk, lv in levels.items()} == {v.pk: (STOCK, STOCK) for v in variants}
    # the placed orders' lines are exactly what is reserved, and refused orders left nothing behind
    sold = Counter()
    for variant_id, quantity in OrderLine.objects.values_list("variant_id", "quantity"):
        sold[variant_id] += quantity
    assert sold == {v.pk: STOCK for v in variants}
    assert set(Order.objects.values_list("pk", flat=True)) == set(placed)
    assert Reservation.objects.aggregate(total=Sum("quantity"))["total"] == 3 * STOCK
    assert list_stock_discrepancies() == []
    out = StringIO()
    call_command("check_stock", stdout=out)
    assert "Stock is consistent: 3 levels checked" in out.getvalue()
