"""The order events other systems hear about (``order.placed``, ``order.paid``, ``order.cancelled``).

The payload is small and stable (README: "Outgoing webhooks"): money as decimal strings
beside the order's currency, statuses as their codes, lines as SKU, name, quantity, unit
price, VAT rate and net total.
"""

from collections.abc import Iterable
from functools import partial

from catalog.webhooks.services import emit_webhook_event
from orders.models import Order, OrderLine


def _money(value) -> str:
    return f"{value:.2f}"


def order_webhook_payload(order: Order, *, lines: Iterable[OrderLine] | None = None) -> dict:
    lines = order.lines.all() if lines is None else lines
    return {
        "number": order.number,
        "tracking_code": order.tracking_code,
        "channel": order.channel.code,
        "external_reference": order.external_reference,
        "status": order.status,
        "payment_status": order.payment_status,
        "fulfilment_status": order.fulfilment_status,
        "email": order.email,
        "customer_name": order.customer_name,
        "currency": order.currency,
        "subtotal": _money(order.subtotal_amount),
        "discount": _money(order.discount_amount),
        "shipping": _money(order.shipping_amount),
        "tax": _money(order.tax_amount),
        "total": _money(order.total_amount),
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "lines": [
            {
                "sku": line.sku,
                "name": f"{line.product_name} {line.variant_name}".strip(),
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price_amount),
                "tax_rate": _money(line.tax_rate),
                "total": _money(line.line_total_amount),
            }
            for line in lines
        ],
    }


def emit_order_webhook(*, order: Order, event: str, lines: Iterable[OrderLine] | None = None) -> None:
    """Announce an order event in the caller's transaction (sent after commit, if anyone listens)."""
    emit_webhook_event(event=event, payload=partial(order_webhook_payload, order, lines=lines))
