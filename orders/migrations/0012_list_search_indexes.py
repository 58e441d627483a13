"""PostgreSQL indexes for the order list's search and sort on 100,000 orders (SQLite: nothing).

Why each one (``docs/architecture.md``, "Indexes of the order list"; plans checked with
``EXPLAIN ANALYZE`` on 100,000 seeded orders):

- Trigram GIN indexes (``pg_trgm``) on ``UPPER(customer_name)``, ``UPPER(email)`` and
  ``UPPER(phone)``: Django's ``icontains`` on PostgreSQL is ``UPPER(col::text) LIKE UPPER('%term%')``,
  which no B-tree can serve; an index on exactly that expression can. ``iendswith`` (the
  phone's last digits) is the same expression.
- ``UPPER(external_reference)`` and ``UPPER(order line sku)``: ``iexact`` is
  ``UPPER(col::text) = UPPER(term)``.
- ``(total_amount, id)``, ``(customer_name, id)``, ``(status, id)``, ``(payment_status, id)``,
  ``(fulfilment_status, id)``: the list's sortable columns with the id as tie-breaker, so a
  page is read from the index in order instead of sorting every order.

Hand-written and outside the models' ``Meta.indexes`` because they are PostgreSQL-only (GIN,
operator classes, an extension); the embedded SQLite set-up gets none of them. Built
``CONCURRENTLY`` (hence ``atomic = False``) so a live shop keeps taking orders meanwhile;
``IF NOT EXISTS`` makes a re-run after an interruption harmless. Without the ``pg_trgm``
extension (a database role that may not create it) the trigram indexes are skipped with a
warning: the search still works, it reads the table instead.
"""

import sys

from django.db import DatabaseError, migrations

TRIGRAM = [
    ("order_customer_name_trgm", "orders_order", "USING gin (UPPER(customer_name) gin_trgm_ops)"),
    ("order_email_trgm", "orders_order", "USING gin (UPPER(email) gin_trgm_ops)"),
    ("order_phone_trgm", "orders_order", "USING gin (UPPER(phone) gin_trgm_ops)"),
]
BTREE = [
    ("order_external_reference_upper", "orders_order", "(UPPER(external_reference))"),
    ("orderline_sku_upper", "orders_orderline", "(UPPER(sku))"),
    ("order_total_id", "orders_order", "(total_amount, id)"),
    ("order_customer_name_id", "orders_order", "(customer_name, id)"),
    ("order_status_id", "orders_order", "(status, id)"),
    ("order_payment_status_id", "orders_order", "(payment_status, id)"),
    ("order_fulfilment_status_id", "orders_order", "(fulfilment_status, id)"),
]


def _create(cursor, name: str, table: str, definition: str) -> None:
    cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, table, definition in BTREE:
            _create(cursor, name, table, definition)
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as exc:  # refused (no privilege, not installed): go on without them
                sys.stderr.write(
                    f"\n  pg_trgm is not available ({exc}); the order search works without its indexes, "
                    "only slower. Run CREATE EXTENSION pg_trgm as a superuser and migrate orders 0011, "
                    "then 0012 again to add them.\n"
                )
                return
        for name, table, definition in TRIGRAM:
            _create(cursor, name, table, definition)


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, _table, _definition in TRIGRAM + BTREE:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    # pg_trgm stays: other things may use it, and it costs nothing unused.


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0011_gross_prices_vat_breakdown_discount_percent_edited"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
