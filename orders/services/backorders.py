"""Receiving stock for the orders that wait for it."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import Variant
from inventory.models import Location, StockLevel
from inventory.services import ReservationRequest, receive_stock, reserve_stock
from orders.models import OrderEvent, OrderLine, OrderStatus
from orders.services._common import _event


@transaction.atomic
def receive_stock_and_fill_backorders(
    *, variant: Variant, location: Location, quantity: int, by=None, reason: str = ""
) -> StockLevel:
    """Receive a delivery, then reserve the new units for waiting backorders, oldest first.

    Only orders of channels that this location serves are filled; each filled line gets a
    timeline entry on its order.
    """
    level = receive_stock(variant=variant, location=location, quantity=quantity, by=by, reason=reason)
    waiting = list(
        OrderLine.objects.select_for_update(of=("self",))
        .filter(
            variant=variant,
            quantity_backordered__gt=0,
            order__status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING],
            order__channel__locations=location,
        )
        .select_related("order")
        .order_by("order__placed_at", "order_id", "pk")
    )
    for line in waiting:
        level.refresh_from_db(fields=["on_hand", "reserved"])
        if level.available <= 0:
            break
        wanted = min(line.quantity_backordered, level.available)
        still_short = reserve_stock(
            requests=[
                ReservationRequest(
                    order_line_id=line.pk, variant_id=variant.pk, sku=line.sku, quantity=wanted, allow_backorder=True
                )
            ],
            location_ids=[location.pk],
        ).get(line.pk, 0)
        filled = wanted - still_short
        if filled:
            OrderLine.objects.filter(pk=line.pk).update(quantity_backordered=F("quantity_backordered") - filled)
            _event(
                line.order,
                OrderEvent.Kind.STOCK,
                by=by,
                message=_("%(count)s × %(sku)s reserved from new stock at %(location)s.")
                % {"count": filled, "sku": line.sku, "location": location.name},
            )
    level.refresh_from_db()
    return level
