"""Packing slips and pick lists: PDFs the warehouse prints, rendered by WeasyPrint.

Rendered on demand and not stored: they describe the shipment as it is now and cost a
fraction of a second. The project's DejaVu fonts are used when they ship under
``static/fonts/dejavu``; otherwise WeasyPrint falls back to the system's fonts.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import StoreSettings
from inventory.models import Reservation
from orders.models import Order, OrderLine
from shipping.models import Shipment, ShipmentLine, ShipmentStatus
from shipping.services.barcodes import code128_svg

STATIC_DIR = Path(settings.BASE_DIR) / "static"
FONT_DIR = STATIC_DIR / "fonts" / "dejavu"


def _font_dir() -> str:
    return FONT_DIR.as_uri() if (FONT_DIR / "DejaVuSans.ttf").exists() else ""


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").write_pdf()


def render_packing_slip_pdf(*, shipment: Shipment) -> bytes:
    """What is in the parcel and where it goes, with the order number as a Code 128 barcode."""
    shipment = (
        Shipment.objects.select_related("order", "location", "method")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("order_line_id"))
        )
        .get(pk=shipment.pk)
    )
    order = shipment.order
    context = {
        "shipment": shipment,
        "order": order,
        "lines": list(shipment.lines.all()),
        "address": order.shipping_address or {},
        "store": StoreSettings.load(),
        "barcode": code128_svg(order.number or str(order.pk)),
        "font_dir": _font_dir(),
        "printed_at": timezone.now(),
    }
    return html_to_pdf(render_to_string("shipping/packing_slip_pdf.html", context))


@dataclass
class PickRow:
    """One SKU to take from one location, and which orders it goes to."""

    location: str
    sku: str
    description: str
    quantity: int = 0
    orders: list[tuple[str, int]] = field(default_factory=list)


def build_pick_rows(*, orders: Sequence[Order]) -> list[PickRow]:
    """What is still on the shelf for these orders, per location (where it is reserved) and SKU, in walking order."""
    order_ids = [o.pk for o in orders]
    lines = list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .select_related("order")
        .prefetch_related(
            Prefetch("shipment_lines", queryset=ShipmentLine.objects.select_related("shipment")),
            Prefetch("reservations", queryset=Reservation.objects.select_related("stock_level__location")),
        )
    )
    rows: dict[tuple, PickRow] = {}
    for line in lines:
        # Units in a pending shipment are still on the shelf: they are what the picker fetches.
        left = line.quantity - sum(
            sl.quantity for sl in line.shipment_lines.all() if sl.shipment.status != ShipmentStatus.PENDING
        )
        if left <= 0:
            continue
        places: dict = defaultdict(int)
        for reservation in line.reservations.all():
            places[reservation.stock_level.location] += reservation.quantity
        if not places:
            places[None] = left
        for location, reserved in sorted(places.items(), key=lambda kv: (kv[0] is None, kv[0] and kv[0].priority)):
            take = min(left, reserved)
            if take <= 0:
                continue
            left -= take
            key = (location.priority if location else 9999, location.name if location else "", line.sku)
            row = rows.setdefault(
                key,
                PickRow(location=location.name if location else "—", sku=line.sku, description=line.description),
            )
            row.quantity += take
            row.orders.append((line.order.number or str(line.order.pk), take))
    return [rows[k] for k in sorted(rows)]


def render_pick_list_pdf(*, orders: Sequence[Order]) -> bytes:
    """One list for a batch of orders: walk the shelves once, then pack order by order."""
    rows = build_pick_rows(orders=orders)
    context = {
        "rows": rows,
        "orders": sorted(orders, key=lambda o: o.number or ""),
        "units": sum(r.quantity for r in rows),
        "store": StoreSettings.load(),
        "font_dir": _font_dir(),
        "printed_at": timezone.now(),
    }
    return html_to_pdf(render_to_string("shipping/pick_list_pdf.html", context))
