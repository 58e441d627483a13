"""Catalogue reads: which variants a channel sells and at which price."""

from decimal import Decimal

from django.db.models import Count, Prefetch, Q

from catalog.models import Category, Channel, ChannelKind, CustomerGroup, Price, Product, Variant
from catalog.money import HUNDRED, quantize


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


# ------------------------------------------------------------------------------
# Storefront (the web channel's catalogue pages)
# ------------------------------------------------------------------------------


def get_web_channel() -> Channel | None:
    """The channel the storefront sells on: the active channel of kind web (the first by code)."""
    return (
        Channel.objects.filter(kind=ChannelKind.WEB, is_active=True)
        .select_related("price_list")
        .order_by("code")
        .first()
    )


def gross(net: Decimal, rate: Decimal) -> Decimal:
    """A net unit price with its VAT, as a shop shows it (rounded half up to the cent)."""
    return quantize(net * (HUNDRED + rate) / HUNDRED)


def shop_price(amount: Decimal, rate: Decimal, *, includes_tax: bool) -> Decimal:
    """What the shop shows for a price-list amount: the amount itself when the list's prices
    include VAT (``PriceList.prices_include_tax``), else the net amount with its VAT."""
    return quantize(amount) if includes_tax else gross(amount, rate)


def shop_vat_breakdown(amounts, *, includes_tax: bool) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """{rate: (net basis, VAT)} of (rate, line amount) pairs, per rate on the sum of that rate's
    lines: from the nets (VAT added), or from the grosses (basis = gross ÷ (1 + rate), VAT the rest)."""
    sums: dict[Decimal, Decimal] = {}
    for rate, amount in amounts:
        sums[Decimal(rate)] = sums.get(Decimal(rate), Decimal("0")) + amount
    result = {}
    for rate, total in sorted(sums.items()):
        if includes_tax:
            basis = quantize(total * HUNDRED / (HUNDRED + rate))
            result[rate] = (basis, quantize(total) - basis)
        else:
            result[rate] = (quantize(total), quantize(total * rate / HUNDRED))
    return result


def shop_products(*, channel: Channel):
    """Active products the channel sells, with their category and tax rate (one query to list)."""
    return (
        Product.objects.filter(is_active=True, channels=channel)
        .select_related("category", "tax_rate")
        .order_by("name", "pk")
    )


def list_shop_categories(*, channel: Channel):
    """Categories that hold at least one product the channel sells, by name."""
    return (
        Category.objects.annotate(
            product_count=Count(
                "products", filter=Q(products__is_active=True, products__channels=channel), distinct=True
            )
        )
        .filter(product_count__gt=0)
        .order_by("name")
    )


def search_shop_products(*, channel: Channel, query: str):
    """Products sold on the channel whose name matches, or one of whose active variants has that SKU."""
    query = query.strip()
    return (
        shop_products(channel=channel)
        .filter(Q(name__icontains=query) | Q(variants__sku__iexact=query, variants__is_active=True))
        .distinct()
    )


def get_shop_product(*, channel: Channel, slug: str):
    """A product the channel sells, with its active variants (two queries), or None."""
    return (
        shop_products(channel=channel)
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("sku")))
        .filter(slug=slug)
        .first()
    )


def list_shop_variants(*, products) -> dict[int, list[Variant]]:
    """The active variants of the listed products, by product id (one query)."""
    by_product: dict[int, list[Variant]] = {}
    for variant in Variant.objects.filter(product__in=[p.pk for p in products], is_active=True).order_by("sku"):
        by_product.setdefault(variant.product_id, []).append(variant)
    return by_product


def list_discount_codes(*, filters: dict | None = None):
    """Discount codes for the back-office list, with their uses and the discount given, by annotation.

    Returns the filter set (its form shows on the page) and the queryset; the channels come
    in one prefetch, so a page costs a fixed number of queries.
    """
    from django.db.models import Count, Q, Sum

    from catalog.filters import DiscountCodeFilter
    from catalog.models import DiscountCode

    standing = Q(redemptions__released_at__isnull=True)
    queryset = DiscountCode.objects.annotate(
        use_count=Count("redemptions", filter=standing),
        discount_given=Sum("redemptions__amount", filter=standing),
    ).prefetch_related("channels")
    filterset = DiscountCodeFilter(filters or None, queryset=queryset)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, queryset.none()
    return filterset, filterset.qs
