"""PostgreSQL indexes for the dashboard on 100,000 orders (SQLite: nothing).

- ``order_sales_covering``: ``(placed_at) INCLUDE (status, currency, channel_id,
  total_amount, id)``. The daily sales series, the sales per channel and the top products
  read every order of the last 30 to 90 days; with everything they need in the index,
  PostgreSQL reads it alone (an index-only scan, a tenth of the pages of the wide order
  rows with their JSON addresses) instead of the table.
- ``orderline_backordered``: ``(order_id) WHERE quantity_backordered > 0``. "Orders waiting
  for backordered stock" (the dashboard), the list's "Has backorder" filter and its badge
  look for the few lines still waiting; without it each reads all order lines.

Hand-written, PostgreSQL-only, built ``CONCURRENTLY`` like ``0012_list_search_indexes``.
"""

from django.db import migrations

INDEXES = [
    (
        "order_sales_covering",
        "orders_order",
        "(placed_at) INCLUDE (status, currency, channel_id, total_amount, id)",
    ),
    ("orderline_backordered", "orders_orderline", "(order_id) WHERE quantity_backordered > 0"),
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
        ("orders", "0012_list_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
