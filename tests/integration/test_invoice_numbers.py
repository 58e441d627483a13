"""Gapless invoice numbers with many issuers at once on PostgreSQL.

Eight threads, each with its own Django connection and so its own PostgreSQL backend,
issue invoices for different orders at the same moment. The number is taken from the
locked ``InvoiceSequence`` row inside each issuing transaction, so the numbers must form
one unbroken run with no duplicates — also when some issues roll back after taking one.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceSequence
from billing.services import issue_invoice
from tests.billing.factories import placed_order, store_with_legal_details

WORKERS = 8
PER_WORKER = 6


class _Rollback(Exception):
    pass


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_eight_issuers_take_one_unbroken_run_of_numbers():
    # given orders committed so that every connection sees them
    assert connection.vendor == "postgresql"
    store_with_legal_details()
    orders = [placed_order(prices=[Decimal("10.00")]) for _ in range(WORKERS * PER_WORKER)]
    chunks = [orders[i::WORKERS] for i in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    rolled_back: list[int] = []
    lock = threading.Lock()
    backends: set[int] = set()

    def worker(index: int, mine) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with lock:
                backends.add(pid)
            start.wait(timeout=30)
            for position, order in enumerate(mine):
                if position == 0 and index % 2 == 0:
                    # an issue that fails after taking its number gives it back
                    try:
                        with transaction.atomic():
                            issue_invoice(order=order)
                            raise _Rollback
                    except _Rollback:
                        with lock:
                            rolled_back.append(order.pk)
                issue_invoice(order=order)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, chunk)) for i, chunk in enumerate(chunks)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [], [repr(e) for e in errors]
    assert len(backends) == WORKERS
    assert len(rolled_back) == WORKERS // 2
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.values_list("sequence_number", flat=True))
    assert numbers == list(range(1, WORKERS * PER_WORKER + 1))
    assert set(Invoice.objects.values_list("number", flat=True)) == {
        f"INV-{year}-{n:06d}" for n in range(1, WORKERS * PER_WORKER + 1)
    }
    assert InvoiceSequence.objects.get(series="INV", year=year).last_number == WORKERS * PER_WORKER
