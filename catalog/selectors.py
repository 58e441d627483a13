"""Catalogue reads: which variants a channel sells and at which price."""

from decimal import Decimal

from catalog.models import Channel, CustomerGroup, Price, Variant


def get_price_list_id(*, channel: Channel, customer_group: CustomerGroup | None = None) -> int:
    """A customer group's own price list overrides the channel's (B2B prices)."""
    if customer_group is not None and customer_group.price_list_id:
        return customer_group.price_list_id
    return channel.price_list_id


def get_unit_prices(
    *, channel: Channel, quantities: dict[int, int], customer_group: CustomerGroup | None = None
) -> dict[int, Decimal]:
    """Net unit price per variant id for the given quantities (quantity tiers apply).

    Falls back to the channel's list for variants missing from the group's list. Variants
    without any price are left out: the caller refuses them.
    """
    list_ids = [get_price_list_id(channel=channel, customer_group=customer_group), channel.price_list_id]
    prices: dict[int, Decimal] = {}
    rows = Price.objects.filter(variant_id__in=list(quantities), price_list_id__in=set(list_ids)).values_list(
        "variant_id", "price_list_id", "min_quantity", "amount"
    )
    best: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for variant_id, price_list_id, min_quantity, amount in rows:
        if min_quantity > quantities[variant_id]:
            continue
        key = (variant_id, price_list_id)
        if key not in best or min_quantity > best[key][0]:
            best[key] = (min_quantity, amount)
    for variant_id in quantities:
        for list_id in list_ids:
            if (variant_id, list_id) in best:
                prices[variant_id] = best[(variant_id, list_id)][1]
                break
    return prices


def is_sold_on(*, variant: Variant, channel: Channel) -> bool:
    return variant.is_active and variant.product.is_active and channel.products.filter(pk=variant.product_id).exists()
