"""Reads of the new-order page: find a customer, find a product with its price and stock."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from catalog.models import Channel, Variant
from catalog.selectors import get_unit_prices
from inventory.models import StockLevel
from orders.models import Customer, Order, OrderStatus

RESULTS_SHOWN = 8


def search_customers(*, query: str, limit: int = RESULTS_SHOWN) -> QuerySet[Customer]:
    """Customers whose name, e-mail, phone or company hold every word typed (one query)."""
    words = query.replace("\x00", "").split()  # PostgreSQL cannot compare text holding a NUL byte
    if not words:
        return Customer.objects.none()
    qs = Customer.objects.select_related("group")
    for word in words[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
            | Q(company_name__icontains=word)
        )
    return qs.order_by("last_name", "first_name", "id")[:limit]


@dataclass
class ProductHit:
    variant: Variant
    unit_price: Decimal | None
    available: int = 0
    by_location: list[tuple[str, int]] = field(default_factory=list)


def search_products(
    *, query: str, channel: Channel, customer: Customer | None = None, limit: int = RESULTS_SHOWN
) -> list[ProductHit]:
    """Variants sold on the channel matching a SKU, barcode or name, with the customer's price
    and what is available at each of the channel's locations. Three queries."""
    query = query.replace("\x00", "").strip()  # PostgreSQL cannot compare text holding a NUL byte
    if not query:
        return []
    variants = list(
        Variant.objects.filter(is_active=True, product__is_active=True, product__channels=channel)
        .filter(
            Q(sku__iexact=query)
            | Q(barcode=query)
            | Q(sku__icontains=query)
            | Q(product__name__icontains=query)
            | Q(name__icontains=query)
        )
        .select_related("product")
        .order_by("product__name", "sku")
        .distinct()[:limit]
    )
    if not variants:
        return []
    ids = [v.pk for v in variants]
    prices = get_unit_prices(
        channel=channel, quantities=dict.fromkeys(ids, 1), customer_group=customer.group if customer else None
    )
    hits = {v.pk: ProductHit(variant=v, unit_price=prices.get(v.pk)) for v in variants}
    for variant_id, location_name, on_hand, reserved in (
        StockLevel.objects.filter(variant_id__in=ids, location__is_active=True, location__channels=channel)
        .order_by("location__priority", "location__name")
        .values_list("variant_id", "location__name", "on_hand", "reserved")
    ):
        hits[variant_id].available += on_hand - reserved
        hits[variant_id].by_location.append((location_name, on_hand - reserved))
    exact = [h for h in hits.values() if h.variant.sku.lower() == query.lower() or h.variant.barcode == query]
    return exact + [h for h in hits.values() if h not in exact]


def get_variants_by_sku(*, skus: list[str]) -> dict[str, Variant]:
    return {v.sku: v for v in Variant.objects.filter(sku__in=skus).select_related("product")}


def get_availability_by_location(*, variant_ids: list[int], channel: Channel) -> dict[int, list[tuple[str, int]]]:
    """What each of the channel's locations has free for these variants (one query)."""
    result: dict[int, list[tuple[str, int]]] = {vid: [] for vid in variant_ids}
    for variant_id, location_name, on_hand, reserved in (
        StockLevel.objects.filter(variant_id__in=variant_ids, location__is_active=True, location__channels=channel)
        .order_by("location__priority", "location__name")
        .values_list("variant_id", "location__name", "on_hand", "reserved")
    ):
        result[variant_id].append((location_name, on_hand - reserved))
    return result


def list_open_drafts(*, limit: int = 10) -> QuerySet[Order]:
    """The latest drafts, to resume on the new-order page (one query)."""
    return (
        Order.objects.filter(status=OrderStatus.DRAFT)
        .select_related("customer", "created_by", "channel")
        .order_by("-updated_at", "-id")[:limit]
    )
