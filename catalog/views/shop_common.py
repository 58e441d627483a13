"""What every storefront page shares: the web channel, the store's name and logo, the cart in
the session, and a variant's offer (gross price and live availability).

The storefront sells on one channel: the active channel of kind web. Prices are the channel's
price list (net, quantity 1) shown with VAT, as a shop shows them; availability is
``inventory.selectors.get_availability`` over the channel's locations, read on every page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Channel, StoreSettings, Variant
from catalog.money import HUNDRED, quantize
from catalog.selectors import get_unit_prices, get_web_channel, shop_price
from inventory.selectors import get_availability
from orders.services.carts import CART_SESSION_KEY


class Availability:
    IN_STOCK = "in_stock"
    FEW_LEFT = "few_left"
    OUT_OF_STOCK = "out_of_stock"
    BACKORDER = "backorder"


def availability_of(*, available: int, variant: Variant) -> tuple[str, str]:
    """(code, words) for a variant's available units: "only 3 left" from its low-stock threshold down."""
    if available <= 0:
        if variant.allow_backorder:
            return Availability.BACKORDER, _("Available on backorder")
        return Availability.OUT_OF_STOCK, _("Out of stock")
    if available <= variant.low_stock_threshold:
        return Availability.FEW_LEFT, ngettext("Only %(n)s left", "Only %(n)s left", available) % {"n": available}
    return Availability.IN_STOCK, _("In stock")


@dataclass(frozen=True)
class Offer:
    """A variant as the shop offers it."""

    variant: Variant
    net: Decimal | None
    gross: Decimal | None
    available: int
    status: str
    label: str

    @property
    def can_buy(self) -> bool:
        return self.gross is not None and self.status != Availability.OUT_OF_STOCK

    @property
    def max_quantity(self) -> int | None:
        """The most one may put in the cart (None: no limit, backorders accepted)."""
        if self.variant.allow_backorder:
            return None
        return max(self.available, 0)


def offers_for(*, channel: Channel, variants: Iterable[Variant], rate_of) -> dict[int, Offer]:
    """Offers by variant id: two queries (prices, availability) whatever the number of variants.

    ``rate_of(variant)`` gives the VAT rate (the product's, already loaded by the caller).
    """
    variants = list(variants)
    ids = [v.pk for v in variants]
    if not ids:
        return {}
    prices = get_unit_prices(channel=channel, quantities=dict.fromkeys(ids, 1))
    stock = get_availability(variant_ids=ids, channel_id=channel.pk)
    includes_tax = channel.price_list.prices_include_tax
    offers = {}
    for variant in variants:
        amount = prices.get(variant.pk)
        rate = rate_of(variant)
        shown = shop_price(amount, rate, includes_tax=includes_tax) if amount is not None else None
        net = amount
        if amount is not None and includes_tax:
            net = quantize(amount * HUNDRED / (HUNDRED + rate))
        status, label = availability_of(available=stock.get(variant.pk, 0), variant=variant)
        offers[variant.pk] = Offer(
            variant=variant,
            net=net,
            gross=shown,
            available=stock.get(variant.pk, 0),
            status=status,
            label=label,
        )
    return offers


def shop_channel() -> Channel:
    channel = get_web_channel()
    if channel is None:
        raise Http404(_("The shop is closed."))
    return channel


def cart_token(request: HttpRequest) -> str | None:
    return request.session.get(CART_SESSION_KEY)


def shop_context(request: HttpRequest, *, channel: Channel, cart_count: int | None = None) -> dict:
    """The layout's context: store (name, logo), channel, how many items the cart holds."""
    if cart_count is None:
        cart_count = session_cart_count(request)
    return {"store": StoreSettings.load(), "channel": channel, "cart_count": cart_count, "search_query": ""}


def session_cart_count(request: HttpRequest) -> int:
    """Units in the session's open cart (one query; none without a cart)."""
    token = cart_token(request)
    if not token:
        return 0
    from django.db.models import Sum

    from orders.models import Cart, CartStatus

    total = (
        Cart.objects.filter(token=token, status=CartStatus.OPEN).aggregate(units=Sum("lines__quantity")).get("units")
    )
    return total or 0
