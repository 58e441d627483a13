"""CSV out (the filtered overview) and in (a stock count: all rows checked, then all applied or none)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config import roles
from inventory.models import MovementKind, StockLevel, StockMovement
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory, ProductFactory, VariantFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("inventory:stock-export")
IMPORT = reverse("inventory:stock-import")


@pytest.fixture
def warehouse_client(client):
    client.force_login(UserFactory(role=roles.WAREHOUSE))
    return client


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("count.csv", text.encode(), content_type="text/csv")


def _snapshot():
    return list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")), StockMovement.objects.count()


def test_export_streams_the_filtered_levels_as_csv(warehouse_client):
    # given
    warehouse = LocationFactory(code="warehouse")
    stocked_variant(sku="EXP-LOW", location=warehouse, on_hand=2, product=ProductFactory(name="Low mug"))
    stocked_variant(sku="EXP-OK", location=warehouse, on_hand=40)

    # when
    everything = warehouse_client.get(EXPORT)
    low = warehouse_client.get(EXPORT, {"low": "on"})

    # then
    assert everything["Content-Type"].startswith("text/csv")
    assert everything.streaming
    assert 'attachment; filename="stock-levels-' in everything["Content-Disposition"]
    assert [row["sku"] for row in _csv(everything)] == ["EXP-LOW", "EXP-OK"]
    rows = _csv(low)
    assert rows == [
        {
            "sku": "EXP-LOW",
            "barcode": "",
            "product": "Low mug",
            "variant": "M",
            "category": rows[0]["category"],
            "location": "warehouse",
            "on_hand": "2",
            "reserved": "0",
            "available": "2",
            "threshold": "5",
            "low_stock": "yes",
        }
    ]


def test_export_defuses_spreadsheet_formulas(warehouse_client):
    # given
    stocked_variant(sku="FORMULA-1", product=ProductFactory(name="=HYPERLINK(1)"))

    # when
    rows = _csv(warehouse_client.get(EXPORT))

    # then
    assert rows[0]["product"] == "'=HYPERLINK(1)"


def test_export_needs_the_view_permission(client):
    # given
    client.force_login(UserFactory(is_staff=False))

    # when
    response = client.get(EXPORT)

    # then
    assert response.status_code == 403


def test_import_with_bad_rows_lists_each_and_applies_nothing(warehouse_client):
    # given
    warehouse = LocationFactory(code="warehouse")
    channel = ChannelFactory()
    LocationFactory(code="store")
    good = stocked_variant(sku="GOOD-1", location=warehouse, on_hand=5)
    stocked_variant(sku="SPARE-1", location=warehouse, on_hand=5)
    held = stocked_variant(sku="HELD-1", channel=channel, location=warehouse, on_hand=5)
    place_order(channel=channel, lines=[LineInput(variant=held, quantity=4)])
    before = _snapshot()
    text = (
        "sku,location,counted\n"
        "GOOD-1,warehouse,9\n"  # fine on its own, but must not be applied
        "NOPE-1,warehouse,3\n"
        "GOOD-1,attic,3\n"
        "SPARE-1,warehouse,x\n"
        "SPARE-1,store,-1\n"
        "HELD-1,warehouse,2\n"
        "GOOD-1,warehouse,1\n"
    )

    # when
    response = warehouse_client.post(IMPORT, {"file": _upload(text)})

    # then
    assert response.status_code == 200
    html = response.content.decode()
    errors = {e.line: e.message for e in response.context["form"].row_errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert "unknown SKU “NOPE-1”" in errors[3]
    assert "unknown location “attic”" in errors[4]
    assert "not a whole number" in errors[5]
    assert "negative" in errors[6]
    assert "4 are reserved" in errors[7]
    assert "already on line 2" in errors[8]
    assert "nothing was imported" in html
    assert "unknown SKU “NOPE-1”" in html
    assert _snapshot() == before
    assert StockLevel.objects.get(variant=good).on_hand == 5


def test_import_refuses_a_file_without_the_columns(warehouse_client):
    # when
    response = warehouse_client.post(IMPORT, {"file": _upload("code,qty\nA,1\n")})

    # then
    assert response.status_code == 200
    assert "missing: sku, location, counted" in response.content.decode()


def test_a_good_file_is_applied_with_ledger_rows_and_a_summary(warehouse_client):
    # given
    warehouse = LocationFactory(code="warehouse")
    LocationFactory(code="store")
    stocked_variant(sku="CNT-A", location=warehouse, on_hand=10)
    stocked_variant(sku="CNT-B", location=warehouse, on_hand=4)
    VariantFactory(sku="CNT-C")  # no level at the store yet
    text = "sku,location,counted\nCNT-A,warehouse,8\nCNT-B,warehouse,4\nCNT-C,store,6\n"

    # when
    response = warehouse_client.post(IMPORT, {"file": _upload(text)}, follow=True)

    # then
    levels = dict(StockLevel.objects.values_list("variant__sku", "on_hand"))
    assert levels == {"CNT-A": 8, "CNT-B": 4, "CNT-C": 6}
    counts = StockMovement.objects.filter(kind=MovementKind.COUNT)
    assert sorted(counts.values_list("variant__sku", "location__code", "quantity")) == [
        ("CNT-A", "warehouse", -2),
        ("CNT-C", "store", 6),
    ]
    assert response.context["result"] == {
        "rows": 3,
        "changed": 2,
        "unchanged": 1,
        "units": 4,
        "filename": "count.csv",
    }
    html = response.content.decode()
    assert "Stock count imported: 3 rows, 2 levels changed." in html


def test_import_needs_the_change_permission(client):
    # given
    client.force_login(UserFactory(role=roles.STAFF))
    stocked_variant(sku="STAFF-1")
    before = _snapshot()

    # when
    response = client.post(IMPORT, {"file": _upload("sku,location,counted\nSTAFF-1,warehouse,1\n")})

    # then
    assert response.status_code == 403
    assert _snapshot() == before
