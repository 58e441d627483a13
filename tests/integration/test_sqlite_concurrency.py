"""The embedded default under load: eight threads placing orders at once on the SQLite file.

SQLite allows one writer at a time. The settings open every transaction with BEGIN
IMMEDIATE and a busy timeout, so a writer waits for the lock instead of failing with
"database is locked" when it upgrades a read to a write. This test would catch a
deferred transaction mode (or a missing timeout) as errors, and any oversell as a wrong
count. It needs the file test database: ``transaction=True`` so that the threads, each
with its own connection, see committed rows.
"""

import random
import threading
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models import Sum

from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from orders.models import Order, OrderLine
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant

WORKERS = 8
STOCK = 30

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's locking is what this test is about",
)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_on_the_sqlite_file_never_see_database_is_locked():
    # given two SKUs with 30 units each, committed to the test database file
    assert connection.settings_dict["NAME"] != ":memory:" and "mode=memory" not in str(connection.settings_dict["NAME"])
    channel = ChannelFactory()
    variants = [stocked_variant(channel=channel, on_hand=STOCK) for _ in range(2)]
    start = threading.Barrier(WORKERS)
    placed: list[int] = []
    refused: list[InsufficientStock] = []
    locked: list[OperationalError] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait(timeout=30)
            for _ in range(12):
                chosen = rng.sample(variants, rng.randint(1, 2))
                lines = [LineInput(variant=v, quantity=rng.randint(1, 2)) for v in chosen]
                try:
                    order = place_order(channel=channel, lines=lines)
                except InsufficientStock as exc:
                    with lock:
                        refused.append(exc)
                except OperationalError as exc:
                    with lock:
                        (locked if "locked" in str(exc) else errors).append(exc)
                else:
                    with lock:
                        placed.append(order.pk)
            # then the last units, one at a time, so that the SKUs end sold out
            for variant in variants:
                for _ in range(2):
                    try:
                        order = place_order(channel=channel, lines=[LineInput(variant=variant, quantity=1)])
                    except InsufficientStock as exc:
                        with lock:
                            refused.append(exc)
                    else:
                        with lock:
                            placed.append(order.pk)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert not any(thread.is_alive() for thread in threads)
    assert locked == [], f"{len(locked)} 'database is locked' errors"
    assert errors == [], [repr(e) for e in errors]
    assert refused, "demand was above the stock: some orders must have been refused"
    assert {lv.variant_id: (lv.on_hand, lv.reserved) for lv in StockLevel.objects.all()} == {
        v.pk: (STOCK, STOCK) for v in variants
    }
    assert OrderLine.objects.aggregate(total=Sum("quantity"))["total"] == 2 * STOCK
    assert Reservation.objects.aggregate(total=Sum("quantity"))["total"] == 2 * STOCK
    assert set(Order.objects.values_list("pk", flat=True)) == set(placed)
    out = StringIO()
    call_command("check_stock", stdout=out)
    assert "Stock is consistent: 2 levels checked" in out.getvalue()
