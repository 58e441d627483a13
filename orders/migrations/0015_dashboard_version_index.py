"""PostgreSQL index for the dashboard's cache key (SQLite: nothing).

- ``order_updated_placed``: ``(updated_at) INCLUDE (placed_at)``. The dashboard keeps the
  sums of closed days (before today) in the cache under a key holding the newest
  ``updated_at`` of the orders placed before today (``orders.selectors.dashboard_closed``).
  With this index PostgreSQL reads it by walking the index backwards past the orders
  changed today (index-only), instead of reading every order on each load.

Hand-written, PostgreSQL-only, built ``CONCURRENTLY`` like ``0013_dashboard_indexes``.
"""

from django.db import migrations

INDEXES = [
    ("order_updated_placed", "orders_order", "(updated_at) INCLUDE (placed_at)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, table, definition in INDEXES:
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _definition in INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0014_order_payment_choice"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
