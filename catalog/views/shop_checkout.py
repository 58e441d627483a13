"""Checkout, the order confirmation and the built-in provider's test payment page.

One checkout page: e-mail (and consent to a reminder), name, phone, delivery or pickup
(priced by ``shipping.services``), addresses, a discount code (``catalog.services``'s refusal
shown by the field), and the payment choice. Placing goes through
``orders.services.carts.place_order_from_cart`` — the same ``place_order`` as every source —
and never happens twice: the form carries a one-time token (a repeated POST of a placed
token goes to that order), the service returns the cart's order when the cart is already
converted, and the page redirects after the POST.

Online payment uses the built-in provider (``billing.providers.SignedWebhookProvider``): the
test payment page stands in for the provider's hosted page; its "Pay" button builds the
provider's signed confirmation and hands it to the same parser and service as the payment
webhook (``billing.services.confirm_provider_payment``), server-side.
"""

import contextlib
import json
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.exceptions import BillingError
from billing.providers import SignedWebhookProvider, WebhookRejected, sign
from billing.services import confirm_provider_payment, open_balance
from catalog.exceptions import CatalogError, DiscountCodeRefused
from catalog.forms_shop import CheckoutForm, PaymentChoice
from catalog.money import ZERO, quantize, shown_totals
from catalog.services.discounts import check_discount_code
from catalog.views.shop_cart import session_cart, summarise_cart
from catalog.views.shop_common import CART_SESSION_KEY, shop_channel, shop_context
from inventory.exceptions import InsufficientStock, InventoryError
from orders.exceptions import OrderError
from orders.models import Cart, CartEvent, Order, OrderStatus
from orders.services.carts import give_cart_email, place_order_from_cart, preview_cart_order, record_cart_step
from orders.services.drafts import DEFAULT_SHIPPING_TAX_RATE
from shipping.exceptions import ShippingError
from shipping.services import list_shipping_options, quote_shipping
from shipping.throttle import is_rate_limited

PLACED_SESSION_KEY = "shop_placed"  # {form token: tracking code} of orders placed in this session
PAYMENT_SESSION_KEY = "shop_payment"  # {tracking code: payment choice}


def _totals(*, cart, summary, email: str, code: str, shipping: Decimal | None) -> dict:
    """The summary box's figures: the order the cart would be if placed now (``preview_cart_order``,
    placing's own computation, with the code and the shipping chosen), shown with VAT so that the
    lines, discount and shipping add up to the total the order will have."""
    preview = preview_cart_order(
        cart=cart,
        email=email,
        shipping_amount=shipping or ZERO,
        shipping_tax_rate=DEFAULT_SHIPPING_TAX_RATE,
        discount_code=code,
    )
    if preview is None:  # an item without a price: the page says so by the line
        return {"goods": summary.subtotal_gross, "discount": ZERO, "shipping": None, "total": summary.subtotal_gross}
    lines, totals = preview
    shown = shown_totals(lines=lines, totals=totals, shipping_tax_rate=DEFAULT_SHIPPING_TAX_RATE)
    if shipping is None:
        shown["shipping"] = None
    return shown


def _shipping_gross(net: Decimal) -> Decimal:
    """Shipping as the shop shows it: with VAT (method prices are net)."""
    return quantize(net * (100 + DEFAULT_SHIPPING_TAX_RATE) / 100)


def _step(cart, kind: str, *, detail: str = "") -> None:
    """Record a checkout step; a cart placed meanwhile (another tab, a double click) refuses it quietly."""
    with contextlib.suppress(OrderError):
        record_cart_step(cart=cart, kind=kind, detail=detail)


def _record_shipping_chosen(cart, form: CheckoutForm) -> None:
    """A form sent back (another field refused, or "Apply") with a valid delivery choice: the
    customer reached the shipping step, so a cart left now shows there in the funnel (placing
    records it otherwise)."""
    option = form.option() if form.cleaned_data.get("delivery") else None
    if option is None:
        return
    cart.refresh_from_db(fields=["status", "stage"])
    if cart.status == Cart.Status.OPEN and not cart.stage_reached(cart.Stage.SHIPPING):
        _step(cart, CartEvent.Kind.SHIPPING_CHOSEN, detail=option.label)


def shop_checkout_view(request: HttpRequest) -> HttpResponse:
    channel = shop_channel()
    cart = session_cart(request, channel=channel)
    if request.method == "POST":
        placed = request.session.get(PLACED_SESSION_KEY, {}).get(request.POST.get("token", ""))
        if placed:  # the same form sent again (double click, reload, back button)
            return redirect("shop:order", code=placed)
    summary = summarise_cart(cart=cart)
    if cart is None or not summary.rows:
        messages.info(request, _("Your cart is empty."))
        return redirect("shop:cart")
    options = list_shipping_options(channel=channel, subtotal=summary.subtotal_net, weight_grams=summary.weight_grams)
    quote = None
    status = 200
    if request.method != "POST":
        if not cart.stage_reached(cart.Stage.CHECKOUT):
            _step(cart, CartEvent.Kind.CHECKOUT_STARTED)
        form = CheckoutForm(
            options=options,
            initial={
                "email": cart.email,
                "reminder_consent": cart.reminder_consent,
                "token": secrets.token_urlsafe(16),
                "delivery": CheckoutForm.option_key(options[0]) if options else "",
            },
        )
        # The first way to pay that goes with the delivery ticked by default (not "pay at pickup" for a parcel)
        delivered = bool(options) and options[0].location is None
        choices = [
            v for v, _label in form.fields["payment"].choices if not (delivered and v == PaymentChoice.AT_PICKUP)
        ]
        form.initial["payment"] = choices[0]
    else:
        form = CheckoutForm(request.POST, options=options)
        valid = form.is_valid()
        email = form.cleaned_data.get("email")
        if email and (email != cart.email or form.cleaned_data.get("reminder_consent") != cart.reminder_consent):
            with contextlib.suppress(OrderError):  # placed meanwhile (a double click): placing answers below
                cart = give_cart_email(cart=cart, email=email, consent=form.cleaned_data.get("reminder_consent", False))
        code = form.cleaned_data.get("discount_code", "")
        if code:
            try:
                quote = check_discount_code(
                    code=code, channel=channel, email=email or "", subtotal=summary.subtotal_net
                )
            except DiscountCodeRefused as exc:
                form.add_error("discount_code", exc.message)
                valid = False
        if valid and "apply" not in request.POST:
            response = _place(request, form=form, cart=cart, channel=channel, summary=summary, quote=quote)
            if response is not None:
                return response
        _record_shipping_chosen(cart, form)
        status = 200 if "apply" in request.POST and not form.errors else 400
    option = form.option() if form.is_bound and hasattr(form, "cleaned_data") else None
    shipping = None
    if option is not None:
        shipping = option.price
        if quote is not None:  # priced on the discounted goods, as placing does (a free-shipping threshold)
            with contextlib.suppress(ShippingError):
                shipping = quote_shipping(
                    method=option.method,
                    channel=channel,
                    subtotal=max(summary.subtotal_net - quote.amount, ZERO),
                    weight_grams=summary.weight_grams,
                )
    elif not form.is_bound and options:
        shipping = options[0].price
    context = shop_context(request, channel=channel, cart_count=summary.units) | {
        "cart": cart,
        "summary": summary,
        "form": form,
        "options": [(CheckoutForm.option_key(o), o, _shipping_gross(o.price)) for o in options],
        "quote": quote,
        "totals": _totals(
            cart=cart,
            summary=summary,
            email=(form.cleaned_data.get("email") or "") if form.is_bound and hasattr(form, "cleaned_data") else "",
            code=quote.code if quote is not None else "",
            shipping=shipping,
        ),
        "shipping_tax_rate": DEFAULT_SHIPPING_TAX_RATE,
    }
    return render(request, "catalog/shop/checkout.html", context, status=status)


def _place(request: HttpRequest, *, form: CheckoutForm, cart, channel, summary, quote) -> HttpResponse | None:
    """Place the order; on a refusal, put the message by its field and return None."""
    data = form.cleaned_data
    option = form.option()
    discount = quote.amount if quote is not None else ZERO
    try:
        shipping = quote_shipping(
            method=option.method,
            channel=channel,
            subtotal=max(summary.subtotal_net - discount, ZERO),
            weight_grams=summary.weight_grams,
        )
    except ShippingError as exc:
        form.add_error("delivery", exc.message)
        return None
    # The cart is converted by placing, so the payment step is recorded as the order is sent. A
    # cart placed a moment ago by the same double click refuses the steps; placing returns its order.
    _step(cart, CartEvent.Kind.SHIPPING_CHOSEN, detail=option.label)
    _step(cart, CartEvent.Kind.PAYMENT_STARTED, detail=data["payment"])
    try:
        order = place_order_from_cart(
            cart=cart,
            email=data["email"],
            customer_name=data["name"],
            phone=data.get("phone") or "",
            shipping_address=form.shipping_address(),
            billing_address=form.billing_address(),
            shipping_method=option.method,
            shipping_amount=shipping,
            shipping_tax_rate=DEFAULT_SHIPPING_TAX_RATE,
            pickup_location=option.location,
            discount_code=data.get("discount_code") or "",
            payment_choice=data["payment"],
        )
    except DiscountCodeRefused as exc:
        form.add_error("discount_code", exc.message)
        return None
    except InsufficientStock as exc:
        form.add_error(None, _sold_out(exc, summary))
        return None
    except (CatalogError, OrderError, InventoryError) as exc:
        form.add_error(None, exc.message)
        return None
    placed = request.session.get(PLACED_SESSION_KEY, {})
    placed[data["token"]] = order.tracking_code
    request.session[PLACED_SESSION_KEY] = dict(list(placed.items())[-20:])
    payments = request.session.get(PAYMENT_SESSION_KEY, {})
    payments[order.tracking_code] = data["payment"]
    request.session[PAYMENT_SESSION_KEY] = dict(list(payments.items())[-20:])
    request.session.pop(CART_SESSION_KEY, None)
    if data["payment"] == PaymentChoice.ONLINE:
        return redirect("shop:payment", code=order.tracking_code)
    return redirect("shop:order", code=order.tracking_code)


def _sold_out(exc: InsufficientStock, summary) -> str:
    """What a customer who lost the last units to someone else reads: the products by name, not
    the SKUs of the back-office message, and what to do about it."""
    names = {row.item.variant.sku: row.item.variant.display_name for row in summary.rows}
    items = "; ".join(
        _("%(item)s: %(available)s left, you asked for %(requested)s")
        % {"item": names.get(s.sku, s.sku), "available": s.available, "requested": s.requested}
        for s in exc.shortages
    )
    return _(
        "Sorry, someone bought the last ones while you were checking out (%(items)s). "
        "Change your cart and place the order again; nothing was charged."
    ) % {"items": items}


def _too_many(request: HttpRequest) -> HttpResponse | None:
    """Guessing tracking codes is rate-limited here as on the public tracking page (same budget)."""
    if not is_rate_limited(request, scope="track", limit=settings.TRACKING_RATE_LIMIT, window_seconds=60):
        return None
    response = render(request, "shipping/track_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def _order_or_404(code: str) -> Order:
    order = (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .select_related("pickup_location", "shipping_method", "channel")
        .prefetch_related("lines")
        .filter(tracking_code=code)
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    return order


def shop_order_view(request: HttpRequest, code: str) -> HttpResponse:
    """The confirmation: what was ordered, how to pay (bank details for a transfer), the tracking link."""
    channel = shop_channel()
    if (limited := _too_many(request)) is not None:
        return limited
    order = _order_or_404(code)
    own = request.session.get(PAYMENT_SESSION_KEY, {})
    # The order keeps the choice; the session's copy only covers orders placed before it did.
    choice = order.payment_choice or own.get(code, "")
    order_lines = list(order.lines.all())
    shown = shown_totals(
        lines=order_lines,
        totals={
            "total_amount": order.total_amount,
            "shipping_amount": order.shipping_amount,
            "discount_amount": order.discount_amount,
            "tax_amount": order.tax_amount,
        },
        shipping_tax_rate=order.shipping_tax_rate,
    )
    lines = list(zip(order_lines, shown["lines"], strict=True))
    context = shop_context(request, channel=channel) | {
        "order": order,
        "lines": lines,
        "goods_gross": shown["goods"],
        "shipping_gross": shown["shipping"],
        # what makes the shown amounts add up to the order's total (the discount, with its VAT)
        "discount_gross": shown["discount"],
        "payment_choice": choice,
        "placed_here": code in own,  # only this session sees the e-mail address
        "balance": open_balance(order=order),
        "online_payment": bool(settings.PAYMENT_WEBHOOK_SECRET),
        "tracking_url": reverse("shipping:track", args=[order.tracking_code]),
    }
    return render(request, "catalog/shop/order.html", context)


def _record_payment_failed(order: Order) -> None:
    """The cart's "payment failed" step (the cart service takes payment steps for a placed cart)."""
    cart = Cart.objects.filter(order=order).first()
    if cart is None:
        return
    _step(cart, CartEvent.Kind.PAYMENT_FAILED, detail=order.number or "")


def shop_payment_view(request: HttpRequest, code: str) -> HttpResponse:
    """The built-in provider's hosted test page: pay (or fail) the open balance of the order.

    A real provider would redirect here to its own page and post its signed confirmation to
    ``/billing/webhooks/webhook/``; this page signs the same confirmation with the shared
    secret and hands it to the same parser and service, server-side.
    """
    channel = shop_channel()
    if (limited := _too_many(request)) is not None:
        return limited
    order = _order_or_404(code)
    if not settings.PAYMENT_WEBHOOK_SECRET:
        raise Http404(_("Online payment is not set up."))
    balance = open_balance(order=order)
    if request.method == "POST" and balance > 0 and order.status != OrderStatus.CANCELLED:
        outcome = "failed" if "fail" in request.POST else "succeeded"
        body = json.dumps(
            {
                "id": f"test-{secrets.token_hex(8)}",
                "order": order.number,
                "amount": str(balance),
                "currency": order.currency,
                "status": outcome,
            }
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "X-Backroom-Timestamp": timestamp,
            "X-Backroom-Signature": sign(secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=timestamp, body=body),
        }
        try:
            confirmation = SignedWebhookProvider().parse(body=body, headers=headers, now=time.time())
            confirm_provider_payment(confirmation=confirmation)
        except (WebhookRejected, BillingError) as exc:
            messages.error(request, getattr(exc, "message", None) or getattr(exc, "reason", str(exc)))
            return redirect("shop:payment", code=code)
        if outcome == "failed":
            _record_payment_failed(order)
            messages.error(request, _("The payment did not go through. Try again, or choose another way to pay."))
            return redirect("shop:payment", code=code)
        messages.success(request, _("Payment received — thank you!"))
        return redirect("shop:order", code=code)
    context = shop_context(request, channel=channel) | {"order": order, "balance": balance}
    return render(request, "catalog/shop/payment.html", context)
