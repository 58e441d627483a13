"""The storefront's catalogue: home, category, search and product pages of the web channel.

Only what the web channel sells is shown; anything else answers 404. Each page costs a fixed
number of queries whatever the number of products (the tests hold them to it).
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from catalog.models import Category
from catalog.selectors import (
    get_shop_product,
    list_shop_categories,
    list_shop_variants,
    search_shop_products,
    shop_products,
)
from catalog.views.shop_common import Availability, offers_for, shop_channel, shop_context

PRODUCTS_PER_PAGE = 24
SEARCH_MAX_LENGTH = 100


def _cards(*, channel, products) -> list[dict]:
    """Product cards: the lowest gross price ("from") and the best availability of its variants."""
    products = list(products)
    variants = list_shop_variants(products=products)
    rates = {p.pk: p.tax_rate.rate for p in products}
    offers = offers_for(
        channel=channel,
        variants=[v for vs in variants.values() for v in vs],
        rate_of=lambda v: rates[v.product_id],
    )
    rank = [Availability.IN_STOCK, Availability.FEW_LEFT, Availability.BACKORDER, Availability.OUT_OF_STOCK]
    cards = []
    for product in products:
        product_offers = [offers[v.pk] for v in variants.get(product.pk, []) if offers[v.pk].gross is not None]
        if not product_offers:
            continue  # nothing priced: nothing to sell
        prices = {o.gross for o in product_offers}
        best = min(product_offers, key=lambda o: rank.index(o.status))
        cards.append(
            {
                "product": product,
                "price": min(prices),
                "price_varies": len(prices) > 1,
                "status": best.status,
                "label": best.label if len(product_offers) == 1 else _availability_summary(best.status),
                "sold_out": best.status == Availability.OUT_OF_STOCK,
            }
        )
    return cards


def _availability_summary(status: str) -> str:
    return {
        Availability.IN_STOCK: _("In stock"),
        Availability.FEW_LEFT: _("Few left"),
        Availability.BACKORDER: _("Available on backorder"),
        Availability.OUT_OF_STOCK: _("Out of stock"),
    }[status]


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))


def shop_home_view(request: HttpRequest) -> HttpResponse:
    channel = shop_channel()
    page = _page(request, shop_products(channel=channel))
    context = shop_context(request, channel=channel) | {
        "categories": list(list_shop_categories(channel=channel)),
        "page": page,
        "cards": _cards(channel=channel, products=page.object_list),
    }
    return render(request, "catalog/shop/home.html", context)


def shop_category_view(request: HttpRequest, slug: str) -> HttpResponse:
    channel = shop_channel()
    category = get_object_or_404(Category, slug=slug)
    categories = list(list_shop_categories(channel=channel))
    if category.pk not in {c.pk for c in categories}:
        raise Http404(_("No such category in the shop."))
    page = _page(request, shop_products(channel=channel).filter(category=category))
    context = shop_context(request, channel=channel) | {
        "categories": categories,
        "category": category,
        "page": page,
        "cards": _cards(channel=channel, products=page.object_list),
    }
    return render(request, "catalog/shop/category.html", context)


def shop_search_view(request: HttpRequest) -> HttpResponse:
    channel = shop_channel()
    # A NUL byte is nothing a shopper typed, and PostgreSQL cannot compare text holding one.
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    page = _page(request, search_shop_products(channel=channel, query=query)) if query else None
    context = shop_context(request, channel=channel) | {
        "categories": list(list_shop_categories(channel=channel)),
        "search_query": query,
        "page": page,
        "cards": _cards(channel=channel, products=page.object_list) if page else [],
    }
    return render(request, "catalog/shop/search.html", context)


def shop_product_view(request: HttpRequest, slug: str, *, add_form=None, status: int = 200) -> HttpResponse:
    channel = shop_channel()
    product = get_shop_product(channel=channel, slug=slug)
    if product is None:
        raise Http404(_("No such product in the shop."))
    variants = list(product.variants.all())
    offers = offers_for(channel=channel, variants=variants, rate_of=lambda v: product.tax_rate.rate)
    offers = [offers[v.pk] for v in variants if offers[v.pk].gross is not None]
    if not offers:
        raise Http404(_("No such product in the shop."))
    from catalog.forms_shop import AddToCartForm

    if add_form is None:
        first = next((o for o in offers if o.can_buy), offers[0])
        add_form = AddToCartForm(offers=offers, initial={"variant": first.variant.pk, "quantity": 1})
    context = shop_context(request, channel=channel) | {
        "product": product,
        "offers": offers,
        "form": add_form,
        "can_buy": any(o.can_buy for o in offers),
        "vat_rate": product.tax_rate.rate,
    }
    return render(request, "catalog/shop/product.html", context, status=status)
