"""The shipment events other systems hear about (``shipment.shipped``, ``shipment.delivered``)."""

from functools import partial

from catalog.webhooks.services import emit_webhook_event
from shipping.models import Shipment, ShipmentStatus

DELIVERED = (ShipmentStatus.DELIVERED, ShipmentStatus.PICKED_UP)


def shipment_webhook_payload(shipment: Shipment) -> dict:
    order = shipment.order
    return {
        "shipment_id": shipment.pk,
        "order_number": order.number,
        "order_tracking_code": order.tracking_code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "location": shipment.location.code,
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "lines": [
            {"sku": line.order_line.sku, "quantity": line.quantity}
            for line in shipment.lines.select_related("order_line").order_by("pk")
        ],
    }


def emit_shipment_shipped(*, shipment: Shipment) -> None:
    """Announce a shipment that left, once its carrier and tracking number are known (``mark_shipped``)."""
    emit_webhook_event(event="shipment.shipped", payload=partial(shipment_webhook_payload, shipment))


def emit_shipment_delivered(*, shipment: Shipment, status: str) -> None:
    """Announce a shipment that arrived (delivered, or picked up); any other status says nothing."""
    if status in DELIVERED:
        emit_webhook_event(event="shipment.delivered", payload=partial(shipment_webhook_payload, shipment))
