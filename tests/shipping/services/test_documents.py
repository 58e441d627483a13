import io

import pytest
from pypdf import PdfReader

from shipping.services import create_shipment, mark_shipped
from shipping.services.barcodes import code128_modules, code128_svg
from shipping.services.documents import build_pick_rows, render_packing_slip_pdf, render_pick_list_pdf
from tests.inventory.factories import LocationFactory
from tests.shipping.factories import placed_order

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_code128_has_start_stop_and_an_svg_bar_per_run():
    # when
    modules = code128_modules("1042")
    svg = code128_svg("1042")
    # then: Code 128 ends with the 13-module stop pattern, every symbol is 11 modules
    assert modules.endswith("1100011101011")
    assert (len(modules) - 13) % 11 == 0
    assert svg.startswith("<svg") and svg.count("<rect") == modules.replace("0", " ").split().__len__()
    assert 'aria-label="1042"' in svg


def test_packing_slip_names_the_order_its_lines_and_address(warehouse):
    # given
    order = placed_order(quantities=(2, 1), location=warehouse)
    first, _second = order.lines.all()
    shipment = mark_shipped(
        shipment=create_shipment(order=order, location=warehouse, lines=[(first, 2)]),
        carrier="DHL",
        tracking_number="JD0001",
    )
    # when
    pdf = render_packing_slip_pdf(shipment=shipment)
    # then
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert order.number in text
    assert first.sku in text
    assert "Geheimweg 7" in text and "JD0001" in text
    assert order.lines.all()[1].sku not in text


def test_pick_list_sums_what_is_still_on_the_shelf_per_location_and_sku():
    # given two orders reserved at the warehouse; one unit of a has left, one waits in a pending parcel
    warehouse = LocationFactory(code="warehouse", name="Main warehouse")
    a = placed_order(quantities=(4,), location=warehouse)
    b = placed_order(quantities=(1, 2), location=warehouse)
    mark_shipped(shipment=create_shipment(order=a, location=warehouse, lines=[(a.lines.get(), 1)]))
    create_shipment(order=a, location=warehouse, lines=[(a.lines.get(), 1)])
    # when
    rows = build_pick_rows(orders=[a, b])
    pdf = render_pick_list_pdf(orders=[a, b])
    # then
    assert [(r.location, r.quantity) for r in rows] == [
        ("Main warehouse", 3),
        ("Main warehouse", 1),
        ("Main warehouse", 2),
    ]
    text = _text(pdf)
    assert a.number in text and b.number in text
    assert a.lines.get().sku in text
