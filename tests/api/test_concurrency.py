"""Concurrent twins on PostgreSQL: one Idempotency-Key or one external reference, exactly one order.

Eight threads, each with its own connection (and PostgreSQL backend), post the same order at
the same moment. The key's row is claimed in its own committed transaction before the work,
so exactly one thread places the order; the others get 409 (still in progress) or the
replayed 201.
"""

import threading

import pytest
from django.db import connection

from orders.models import IdempotencyKey, Order
from tests.api.conftest import client_for, order_body

WORKERS = 8


def _race(send) -> list:
    start = threading.Barrier(WORKERS)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait(timeout=30)
            response = send()
            with lock:
                results.append(response)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [], [repr(e) for e in errors]
    assert len(results) == WORKERS
    return results


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_place_exactly_one_order(shop):
    # given
    assert connection.vendor == "postgresql"
    api = client_for("Staff")
    body = order_body(lines=[{"sku": "MUG-RED", "quantity": 1}])
    # when
    results = _race(lambda: api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"))
    # then
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, statuses
    originals = [r for r in results if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(originals) == 1
    assert all(r.json()["error"]["code"] == "idempotency_key_in_progress" for r in results if r.status_code == 409)
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.DONE
    # and a later retry gets the first answer
    replay = api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert replay.status_code == 201 and replay.json()["number"] == originals[0].json()["number"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_external_reference_place_exactly_one_order(shop):
    assert connection.vendor == "postgresql"
    api = client_for("Staff")
    body = order_body(external_reference="MP-RACE", lines=[{"sku": "MUG-RED", "quantity": 1}])
    results = _race(lambda: api.post("/api/v1/orders/", body, format="json"))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) == {201, 409}
    number = next(r.json()["number"] for r in results if r.status_code == 201)
    assert all(r.json()["error"]["order"]["number"] == number for r in results if r.status_code == 409)
    assert Order.objects.count() == 1
