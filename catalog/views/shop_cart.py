"""The storefront cart: add from the product page, change quantities, remove.

The cart's token lives in the session; the cart itself and every change go through
``orders.services.carts`` (which records the steps and refuses quantities above what is
available with a ``CartError``). Everything works without JavaScript: each form posts and
the page redirects back (POST-redirect-GET); a refusal is shown next to its field.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.forms_shop import AddToCartForm, CartLineForm
from catalog.models import Channel
from catalog.money import ZERO
from catalog.selectors import get_shop_product, shop_price, shop_vat_breakdown
from catalog.views.shop_catalogue import shop_product_view
from catalog.views.shop_common import (
    CART_SESSION_KEY,
    availability_of,
    cart_token,
    offers_for,
    shop_channel,
    shop_context,
)
from orders.exceptions import OrderError
from orders.models import Cart
from orders.selectors.carts import CartItem, get_cart_contents, get_open_cart
from orders.services.carts import add_to_cart, get_or_create_cart, remove_from_cart, set_cart_quantity


def session_cart(request: HttpRequest, *, channel: Channel) -> Cart | None:
    """The session's open cart on this channel, or None: reading never creates one."""
    return get_open_cart(channel=channel, session_key=request.session.session_key or "", cart_token=cart_token(request))


def session_cart_for_update(request: HttpRequest, *, channel: Channel) -> Cart:
    """The session's cart, made on the first add (the session gets its key first)."""
    if not request.session.session_key:
        request.session.save()
    cart = get_or_create_cart(channel=channel, session_key=request.session.session_key, cart_token=cart_token(request))
    request.session[CART_SESSION_KEY] = str(cart.token)
    return cart


@dataclass(frozen=True)
class CartRow:
    item: CartItem
    status: str
    label: str
    unit_gross: Decimal
    gross: Decimal
    form: CartLineForm


@dataclass(frozen=True)
class CartSummary:
    rows: list[CartRow]
    units: int
    subtotal_net: Decimal
    vat: Decimal
    subtotal_gross: Decimal
    weight_grams: int
    currency: str


def summarise_cart(*, cart: Cart | None, forms: dict | None = None) -> CartSummary:
    """The cart's lines at the channel's prices with live availability, shown with VAT.

    VAT is computed per rate on the sum of the nets of that rate (as the order will be).
    Four queries whatever the number of lines (``get_cart_contents`` and the currency).
    """
    if cart is None:
        return CartSummary(
            rows=[], units=0, subtotal_net=ZERO, vat=ZERO, subtotal_gross=ZERO, weight_grams=0, currency=""
        )
    contents = get_cart_contents(cart=cart)
    includes_tax = cart.channel.price_list.prices_include_tax
    rows = []
    for item in contents.items:
        status, label = availability_of(available=item.available, variant=item.variant)
        if item.over_available and item.available:
            label = _("Only %(n)s available: lower the quantity") % {"n": item.available}
        form = (forms or {}).get(item.variant.pk) or CartLineForm(
            initial={"variant": item.variant.pk, "quantity": item.quantity}
        )
        unit = item.unit_price if item.unit_price is not None else ZERO
        rows.append(
            CartRow(
                item=item,
                status=status,
                label=label,
                unit_gross=shop_price(unit, item.tax_rate, includes_tax=includes_tax),
                gross=item.line_gross,  # the rate's gross shared out: the rows add up to the subtotal
                form=form,
            )
        )
    breakdown = shop_vat_breakdown(
        ((item.tax_rate, item.line_total) for item in contents.items), includes_tax=includes_tax
    )
    net = sum((basis for basis, _vat in breakdown.values()), ZERO)
    vat = sum((v for _basis, v in breakdown.values()), ZERO)
    return CartSummary(
        rows=rows,
        units=contents.count,
        subtotal_net=net,
        vat=vat,
        subtotal_gross=net + vat,
        weight_grams=sum(item.variant.weight_grams * item.quantity for item in contents.items),
        currency=contents.currency,
    )


def _render_cart(request: HttpRequest, *, channel: Channel, cart: Cart | None, forms=None, status=200) -> HttpResponse:
    summary = summarise_cart(cart=cart, forms=forms)
    context = shop_context(request, channel=channel, cart_count=summary.units) | {"cart": cart, "summary": summary}
    if request.htmx:  # htmx swaps only 2xx answers: the refusal travels in the fragment
        return render(request, "catalog/shop/partials/_cart.html", context)
    return render(request, "catalog/shop/cart.html", context, status=status)


def shop_cart_view(request: HttpRequest) -> HttpResponse:
    channel = shop_channel()
    return _render_cart(request, channel=channel, cart=session_cart(request, channel=channel))


def shop_product_add_view(request: HttpRequest, slug: str) -> HttpResponse:
    """GET shows the product; POST adds the chosen option to the cart (refusals by the field)."""
    if request.method != "POST":
        return shop_product_view(request, slug)
    channel = shop_channel()
    product = get_shop_product(channel=channel, slug=slug)
    if product is None:
        return shop_product_view(request, slug)  # 404
    variants = list(product.variants.all())
    offers = offers_for(channel=channel, variants=variants, rate_of=lambda v: product.tax_rate.rate)
    offers = [offers[v.pk] for v in variants if offers[v.pk].gross is not None]
    form = AddToCartForm(request.POST, offers=offers)
    if form.is_valid():
        offer = form.offers[form.cleaned_data["variant"]]
        quantity = form.cleaned_data["quantity"]
        try:
            cart = session_cart_for_update(request, channel=channel)
            add_to_cart(cart=cart, variant=offer.variant, quantity=quantity)
        except OrderError as exc:
            form.add_error("quantity", exc.message)
        else:
            messages.success(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("%(quantity)s × %(name)s added to your cart.")
                    % {"quantity": quantity, "name": offer.variant.display_name},
                    reverse("shop:cart"),
                    _("View cart"),
                ),
            )
            return redirect("shop:product", slug=slug)
    return shop_product_view(request, slug, add_form=form, status=400)


@require_POST
def shop_cart_update_view(request: HttpRequest) -> HttpResponse:
    """Change one line's quantity (0 removes it), or remove it with the remove button."""
    channel = shop_channel()
    cart = session_cart(request, channel=channel)
    if cart is None:
        messages.info(request, _("Your cart is empty."))
        return redirect("shop:cart")
    lines = {line.variant_id: line for line in cart.lines.select_related("variant__product")}
    try:
        variant_id = int(request.POST.get("variant", ""))
    except ValueError:
        variant_id = None
    line = lines.get(variant_id)
    if line is None:
        messages.error(request, _("That item is no longer in your cart."))
        return redirect("shop:cart")
    if "remove" in request.POST:
        remove_from_cart(cart=cart, variant=line.variant)
        if not request.htmx:
            messages.success(request, _("%(name)s removed from your cart.") % {"name": line.variant.display_name})
        return _after_change(request, channel=channel)
    form = CartLineForm(request.POST)
    if form.is_valid():
        quantity = form.cleaned_data["quantity"]
        try:
            if quantity == 0:
                remove_from_cart(cart=cart, variant=line.variant)
            else:
                set_cart_quantity(cart=cart, variant=line.variant, quantity=quantity)
        except OrderError as exc:
            form.add_error("quantity", exc.message)
        else:
            if not request.htmx:
                messages.success(request, _("Cart updated."))
            return _after_change(request, channel=channel)
    cart = session_cart(request, channel=channel)
    return _render_cart(request, channel=channel, cart=cart, forms={variant_id: form}, status=400)


def _after_change(request: HttpRequest, *, channel: Channel) -> HttpResponse:
    if request.htmx:
        return _render_cart(request, channel=channel, cart=session_cart(request, channel=channel))
    return redirect("shop:cart")
