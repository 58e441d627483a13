"""The order list's search box: every kind of term finds the right orders, once each, on
SQLite and (marked ``services``) on PostgreSQL, where the indexes of
``orders/migrations/0012_list_search_indexes.py`` must match the SQL that Django writes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from orders.filters import search_order_ids
from orders.models import Order, OrderLine
from orders.selectors import list_orders
from shipping.models import Shipment, ShippingMethod
from tests.inventory.factories import LocationFactory
from tests.orders.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def add_line(order: Order, *, sku: str) -> OrderLine:
    return OrderLine.objects.create(
        order=order,
        sku=sku,
        product_name="Mug",
        quantity=1,
        unit_price_amount=Decimal("10.00"),
        tax_rate=Decimal("19.00"),
        line_total_amount=Decimal("10.00"),
    )


@pytest.fixture
def shop():
    """Three orders that share nothing a search could confuse, plus one that shares a surname."""
    wholesale = CustomerFactory(company_name="Kaffeehaus Lindner GmbH", phone="+49 40 7654321")
    ada = OrderFactory(
        number="1042",
        tracking_code="TRK-ADA-TOKEN",
        external_reference="AMZ-77",
        customer_name="Ada Lovelace",
        email="ada.lovelace@example.com",
        phone="+49 30 1234567",
    )
    add_line(ada, sku="MUG-RED")
    add_line(ada, sku="MUG-RED")  # two lines of one SKU: still one row
    grace = OrderFactory(number="2000", customer_name="Grace Hopper", email="grace@navy.example", phone="+1 555 0100")
    add_line(grace, sku="TEE-M")
    byron = OrderFactory(number="2001", customer_name="Anne Lovelace Byron", email="anne@example.org")
    shop = OrderFactory(number="3000", customer=wholesale, customer_name="Lindner", email="order@lindner.example")
    Shipment.objects.create(
        order=grace,
        method=ShippingMethod.objects.create(code="parcel", name="Parcel", price_amount=Decimal("4.90")),
        location=LocationFactory(),
        tracking_number="00340434161094",
    )
    return {"ada": ada, "grace": grace, "byron": byron, "shop": shop}


SEARCHES = [
    # order number, with or without the hash
    ("1042", {"1042"}),
    ("#2000", {"2000"}),
    # the order's own tracking token, and the carrier's tracking number of a parcel
    ("TRK-ADA-TOKEN", {"1042"}),
    ("00340434161094", {"2000"}),
    # the marketplace reference, any case
    ("amz-77", {"1042"}),
    # SKU, any case; an order with the SKU on two lines is listed once
    ("mug-red", {"1042"}),
    ("TEE-M", {"2000"}),
    # customer name, part of it, any case: both Lovelaces
    ("lovelace", {"1042", "2001"}),
    ("GRACE HOP", {"2000"}),
    # e-mail, whole or part
    ("ada.lovelace@example.com", {"1042"}),
    ("navy.example", {"2000"}),
    # phone as typed, and by its last digits in another format; the customer's phone too
    ("+49 30 1234567", {"1042"}),
    ("030 1234567", {"1042"}),
    ("040 7654321", {"3000"}),
    # the company of the customer
    ("kaffeehaus", {"3000"}),
    # nothing
    ("zebra", set()),
]


def found(term: str, extra: str = "") -> list[str]:
    query = QueryDict(mutable=True)
    query["q"] = term
    _filterset, orders = list_orders(filters=QueryDict(f"{query.urlencode()}{extra}"))
    return [order.number for order in orders]


def assert_search_finds_what_it_should(term: str, expected: set[str]) -> None:
    # when
    numbers = found(term)
    # then: the right orders, each once
    assert set(numbers) == expected
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize(("term", "expected"), SEARCHES)
def test_search_finds_each_kind_of_term(shop, term, expected):
    assert_search_finds_what_it_should(term, expected)


def test_search_is_combined_with_the_other_filters_and_counts_each_order_once(shop):
    # given
    Order.objects.filter(number="2001").update(status=Order.Status.PROCESSING)
    # when
    both = found("lovelace")
    processing = found("lovelace", "&status=processing")
    _fs, orders = list_orders(filters=QueryDict("q=mug-red"))
    # then
    assert set(both) == {"1042", "2001"}
    assert processing == ["2001"]
    assert orders.count() == 1


def test_a_name_search_does_not_look_at_order_lines():
    # a name is not SKU-like: the UNION has no part over the order lines
    sql = str(search_order_ids("Lovelace").query)
    assert OrderLine._meta.db_table not in sql
    assert OrderLine._meta.db_table in str(search_order_ids("MUG-RED").query)


def test_a_searched_page_is_still_one_query(shop):
    # given
    _fs, orders = list_orders(filters=QueryDict("q=lovelace&o=-total"))
    # when
    with CaptureQueriesContext(connection) as ctx:
        rows = [(o.number, o.channel.name, o.customer, o.line_count) for o in orders[:50]]
    # then
    assert len(rows) == 2
    assert len(ctx.captured_queries) == 1


# ------------------------------------------------------------------------------ PostgreSQL
@pytest.mark.services
@pytest.mark.parametrize(("term", "expected"), SEARCHES)
def test_search_finds_each_kind_of_term_on_postgres(shop, term, expected):
    assert connection.vendor == "postgresql"
    assert_search_finds_what_it_should(term, expected)


def _plan(sql_and_params, *, off: tuple[str, ...] = ("seqscan",)) -> str:
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        # A few rows: the planner would rather read the table (or sort it); forbid that to see which index fits.
        for setting in off:
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.services
@pytest.mark.parametrize(
    ("term", "indexes"),
    [
        ("lovelace", ["order_customer_name_trgm", "order_email_trgm"]),
        ("+49 30 1234567", ["order_phone_trgm"]),
        ("amz-77", ["order_external_reference_upper"]),
        ("MUG-RED", ["orderline_sku_upper"]),
    ],
)
def test_postgres_search_uses_the_indexes_made_for_it(shop, term, indexes):
    # given: Django's own SQL for the search (``UPPER(col::text) LIKE UPPER(%term%)`` etc.)
    compiled = search_order_ids(term).query.sql_with_params()
    # when
    plan = _plan(compiled)
    # then: each expression index matches the expression Django writes
    for index in indexes:
        assert index in plan, plan


@pytest.mark.services
def test_postgres_sorted_page_reads_the_sort_index():
    # given
    OrderFactory(number="1", total_amount=Decimal("5.00"))
    _fs, orders = list_orders(filters=QueryDict("o=-total"))
    # when
    plan = _plan(orders.values("pk")[:50].query.sql_with_params(), off=("seqscan", "sort"))
    # then
    assert "order_total_id" in plan, plan


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["2001", "1042"]),
        ("o=-total", ["1042", "2001"]),
        ("o=total", ["2001", "1042"]),
        ("o=customer", ["1042", "2001"]),
    ],
)
def test_a_searched_list_keeps_the_chosen_sort(shop, sort, expected):
    # given: the older order has the larger total
    Order.objects.filter(number="1042").update(total_amount=Decimal("90.00"))
    Order.objects.filter(number="2001").update(total_amount=Decimal("10.00"))
    # when
    numbers = found("lovelace", f"&{sort}" if sort else "")
    # then
    assert numbers == expected
