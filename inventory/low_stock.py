"""``stock.low``: tell other systems when a level's available stock crosses down to its threshold.

Called by the stock services right after a change that lowers what is available (a
reservation, a write-off, a count, a transfer out), in the same transaction. The change
took the row's lock, so the level read here is exactly what that change left, and what
was there before is that plus the units taken: an event goes out once per crossing (from
above the threshold to at or below it), not on every sale while the level stays low.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models.functions import Coalesce

from catalog.webhooks.services import emit_webhook_event
from inventory.models import StockLevel


def emit_low_stock_crossings(*, drops: Iterable[tuple[int, int]]) -> None:
    """``drops``: (stock level id, units of available stock taken) pairs of the change just made."""
    taken: dict[int, int] = defaultdict(int)
    for level_id, units in drops:
        taken[level_id] += units
    drops = {level_id: units for level_id, units in taken.items() if units > 0}
    if not drops:
        return
    levels = (
        StockLevel.objects.filter(pk__in=drops, variant__is_active=True, location__is_active=True)
        .annotate(threshold=Coalesce("low_stock_threshold", "variant__low_stock_threshold"))
        .values_list("pk", "on_hand", "reserved", "threshold", "variant__sku", "location__code")
        .order_by("pk")
    )
    for level_id, on_hand, reserved, threshold, sku, location in levels:
        available = on_hand - reserved
        if available <= threshold < available + drops[level_id]:
            emit_webhook_event(
                event="stock.low",
                payload={
                    "sku": sku,
                    "location": location,
                    "on_hand": on_hand,
                    "reserved": reserved,
                    "available": available,
                    "threshold": threshold,
                },
            )
