"""Read-only stock queries shared by the storefront, staff order entry and the API."""

from collections.abc import Iterable

from django.db.models import F, Sum

from inventory.models import StockLevel


def get_availability(*, variant_ids: Iterable[int], channel_id: int) -> dict[int, int]:
    """Units available to sell (on hand − reserved) per variant, over the channel's locations.

    One query whatever the number of variants; variants without stock are reported as 0.
    """
    variant_ids = list(variant_ids)
    rows = (
        StockLevel.objects.filter(
            variant_id__in=variant_ids, location__channels__id=channel_id, location__is_active=True
        )
        .values("variant_id")
        .annotate(available=Sum(F("on_hand") - F("reserved")))
    )
    availability = dict.fromkeys(variant_ids, 0)
    availability.update({row["variant_id"]: row["available"] for row in rows})
    return availability
