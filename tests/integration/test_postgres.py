"""The stock invariants hold in the database itself, and row locks serialise writers.

The constraint tests run on whichever database the suite uses (SQLite by default) and
again, marked ``services``, on PostgreSQL, where many processes write at once.
"""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from inventory.models import StockLevel
from tests.inventory.factories import StockLevelFactory

TABLE = StockLevel._meta.db_table


def raw_update(level: StockLevel, *, on_hand: int, reserved: int) -> None:
    """Bypass the ORM and the services: only the database's constraints stand in the way."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET on_hand = %s, reserved = %s WHERE id = %s", [on_hand, reserved, level.pk])


def assert_constraints_refuse_broken_stock() -> None:
    # given
    level = StockLevelFactory(on_hand=5, reserved=2)
    # when / then: negative on hand
    with pytest.raises(IntegrityError):
        raw_update(level, on_hand=-1, reserved=0)
    # when / then: more reserved than on hand
    with pytest.raises(IntegrityError):
        raw_update(level, on_hand=3, reserved=4)
    # when / then: negative reserved
    with pytest.raises(IntegrityError):
        raw_update(level, on_hand=3, reserved=-1)
    # then nothing changed, and a valid update still goes through
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (5, 2)
    raw_update(level, on_hand=4, reserved=4)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 4)


@pytest.mark.django_db
def test_stock_constraints_refuse_broken_levels_on_the_default_database():
    assert_constraints_refuse_broken_stock()


@pytest.mark.services
@pytest.mark.django_db
def test_stock_constraints_refuse_broken_levels_on_postgres():
    assert connection.vendor == "postgresql"
    assert_constraints_refuse_broken_stock()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_second_select_for_update_waits_for_the_first_to_commit():
    # given a committed row and a first transaction that holds its lock
    level = StockLevelFactory(on_hand=5)
    first_locked, first_may_commit, second_done = threading.Event(), threading.Event(), threading.Event()
    seen_by_second: list[int] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                locked = StockLevel.objects.select_for_update().get(pk=level.pk)
                first_locked.set()
                assert first_may_commit.wait(timeout=30)
                StockLevel.objects.filter(pk=locked.pk).update(on_hand=locked.on_hand + 1)
        except BaseException as exc:
            errors.append(exc)
            first_locked.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                seen_by_second.append(StockLevel.objects.select_for_update().get(pk=level.pk).on_hand)
            second_done.set()
        except BaseException as exc:
            errors.append(exc)
            second_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_locked.wait(timeout=30)
    # when the second transaction asks for the same row
    threads[1].start()
    waited = not second_done.wait(timeout=1.5)
    first_may_commit.set()
    for thread in threads:
        thread.join(timeout=30)
    # then it waited, and read the row as the first one committed it
    assert not errors, errors
    assert waited, "the second select_for_update did not wait for the first transaction"
    assert seen_by_second == [6]
