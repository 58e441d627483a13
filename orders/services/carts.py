"""Storefront carts: every step recorded with its time, reminders when left behind, and the
order placed from the cart once and only once.

For the storefront pages (web layer):

- keep ``str(cart.token)`` in the session under ``CART_SESSION_KEY``; read the cart with
  ``orders.selectors.carts.get_open_cart`` and show it with ``get_cart_contents``;
- call ``get_or_create_cart`` only when something is put in the cart;
- ``add_to_cart`` / ``set_cart_quantity`` / ``remove_from_cart`` refuse with ``CartError``
  (``.message`` for the customer) and change nothing;
- ``record_cart_step`` for checkout started, shipping chosen, payment started / failed;
  ``give_cart_email`` records "details given" itself;
- ``place_order_from_cart`` places the order through ``place_order``; calling it again for
  the same cart (double click, reload) returns the same order.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log
from catalog.models import Channel, DiscountCode, StoreSettings, Variant
from catalog.money import ZERO
from catalog.services import create_incentive_code
from config.roles import OWNER
from inventory.selectors import get_availability
from orders.exceptions import CartError, OrderError
from orders.models import (
    CART_EVENT_STAGE,
    CART_STAGE_ORDER,
    Cart,
    CartEvent,
    CartLine,
    CartStatus,
    Order,
)
from orders.selectors.carts import reminder_due_q
from orders.services.drafts import OrderEntry, preview_order
from orders.services.placement import MAX_LINE_QUANTITY, LineInput, place_order
from orders.tasks import send_cart_alert as send_cart_alert_task

CART_SESSION_KEY = "cart_token"

# Steps the storefront records with ``record_cart_step``; the others have their own service.
CART_STEPS = frozenset(
    {
        CartEvent.Kind.CHECKOUT_STARTED,
        CartEvent.Kind.DETAILS_GIVEN,
        CartEvent.Kind.SHIPPING_CHOSEN,
        CartEvent.Kind.PAYMENT_STARTED,
        CartEvent.Kind.PAYMENT_FAILED,
    }
)

# Paying online follows placing: these are recorded on a converted cart too.
AFTER_ORDER_STEPS = frozenset({CartEvent.Kind.PAYMENT_STARTED, CartEvent.Kind.PAYMENT_FAILED})


# ------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------


def _lock(cart: Cart) -> Cart:
    return Cart.objects.select_for_update().select_related("channel").get(pk=cart.pk)


def _log(
    cart: Cart, kind: str, *, variant: Variant | None = None, quantity: int | None = None, detail: str = ""
) -> CartEvent:
    """The step's row, the cart's activity time and its furthest stage, in two statements."""
    now = timezone.now()
    event = CartEvent.objects.create(
        cart=cart, kind=kind, variant=variant, quantity=quantity, detail=detail[:200], created_at=now
    )
    cart.last_activity_at = now
    fields = ["last_activity_at"]
    stage = CART_EVENT_STAGE.get(kind)
    if stage and CART_STAGE_ORDER.index(stage) > CART_STAGE_ORDER.index(cart.stage):
        cart.stage = stage
        fields.append("stage")
    cart.save(update_fields=fields)
    return event


def _require_open(cart: Cart) -> None:
    if cart.status != CartStatus.OPEN:
        raise CartError(_("This cart has already been ordered."))


def _check_quantity(quantity) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise CartError(_("The quantity must be a whole number."))
    if quantity > MAX_LINE_QUANTITY:
        raise CartError(_("At most %(max)s units of one item.") % {"max": MAX_LINE_QUANTITY})
    return quantity


def _sellable_variant(*, channel: Channel, variant: Variant) -> Variant:
    """The variant with its product, if the channel sells it; otherwise refused."""
    found = (
        Variant.objects.filter(pk=variant.pk, is_active=True, product__is_active=True)
        .annotate(
            sold_here=Exists(
                Channel.products.through.objects.filter(channel_id=channel.pk, product_id=OuterRef("product_id"))
            )
        )
        .select_related("product")
        .first()
    )
    if found is None or not found.sold_here:
        raise CartError(_("Sorry, %(item)s is not sold here.") % {"item": variant.display_name})
    return found


def _check_available(*, channel: Channel, variant: Variant, quantity: int) -> None:
    if variant.allow_backorder:
        return
    available = max(get_availability(variant_ids=[variant.pk], channel_id=channel.pk)[variant.pk], 0)
    if quantity > available:
        if available == 0:
            raise CartError(_("Sorry, %(item)s is out of stock.") % {"item": variant.display_name})
        raise CartError(_("Only %(count)s of %(item)s available.") % {"count": available, "item": variant.display_name})


def cart_value(*, cart: Cart) -> Decimal:
    """The cart's net value at the channel's prices, VAT per rate as the order will have it."""
    from orders.selectors.carts import get_cart_contents

    return get_cart_contents(cart=cart).net


def _maybe_alert_owner(cart: Cart) -> None:
    """Owners who opted in hear about a cart once it is worth more than their threshold (once per cart)."""
    if cart.owner_alerted_at is not None:
        return
    threshold = StoreSettings.load().cart_alert_above
    if threshold is None or cart_value(cart=cart) <= threshold:
        return
    # Only a heads-up: a publish lost with the broker down is logged, not re-sent.
    on_commit_or_log(send_cart_alert_task.delay, cart_id=cart.pk)


# ------------------------------------------------------------------------------
# The storefront's verbs
# ------------------------------------------------------------------------------


@transaction.atomic
def get_or_create_cart(*, channel: Channel, session_key: str, cart_token: str | uuid.UUID | None = None) -> Cart:
    """The session's open cart on this channel (by the token kept in the session, else by the
    session key), or a new one."""
    carts = Cart.objects.filter(channel=channel, status=CartStatus.OPEN).select_related("channel")
    cart = None
    if cart_token:
        try:
            cart = carts.filter(token=uuid.UUID(str(cart_token))).first()
        except ValueError:
            cart = None
    if cart is None and session_key:
        cart = carts.filter(session_key=session_key).order_by("-last_activity_at", "-id").first()
    if cart is None:
        cart = Cart.objects.create(channel=channel, session_key=session_key or "")
    elif session_key and cart.session_key != session_key:
        cart.session_key = session_key
        cart.save(update_fields=["session_key"])
    return cart


@transaction.atomic
def add_to_cart(*, cart: Cart, variant: Variant, quantity: int) -> Cart:
    """Put ``quantity`` more of the variant in the cart; more than is available is refused
    (unless the variant may be backordered), and so is a variant the channel does not sell."""
    quantity = _check_quantity(quantity)
    if quantity == 0:
        raise CartError(_("The quantity must be at least 1."))
    cart = _lock(cart)
    _require_open(cart)
    variant = _sellable_variant(channel=cart.channel, variant=variant)
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    total = (line.quantity if line else 0) + quantity
    _check_quantity(total)
    _check_available(channel=cart.channel, variant=variant, quantity=total)
    if line:
        line.quantity = total
        line.save(update_fields=["quantity"])
    else:
        CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
    _log(cart, CartEvent.Kind.ITEM_ADDED, variant=variant, quantity=quantity)
    _maybe_alert_owner(cart)
    return cart


@transaction.atomic
def set_cart_quantity(*, cart: Cart, variant: Variant, quantity: int) -> Cart:
    """Set the variant's quantity in the cart; 0 removes the line."""
    quantity = _check_quantity(quantity)
    if quantity == 0:
        return remove_from_cart(cart=cart, variant=variant)
    cart = _lock(cart)
    _require_open(cart)
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    if line is None:
        return add_to_cart(cart=cart, variant=variant, quantity=quantity)
    if line.quantity == quantity:
        return cart
    if quantity > line.quantity:  # less is always allowed, more must be there
        variant = _sellable_variant(channel=cart.channel, variant=variant)
        _check_available(channel=cart.channel, variant=variant, quantity=quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    _log(cart, CartEvent.Kind.QUANTITY_CHANGED, variant=variant, quantity=quantity)
    _maybe_alert_owner(cart)
    return cart


@transaction.atomic
def remove_from_cart(*, cart: Cart, variant: Variant) -> Cart:
    cart = _lock(cart)
    _require_open(cart)
    deleted, _rows = CartLine.objects.filter(cart=cart, variant=variant).delete()
    if deleted:
        _log(cart, CartEvent.Kind.ITEM_REMOVED, variant=variant)
    return cart


@transaction.atomic
def record_cart_step(*, cart: Cart, kind: str, detail: str = "") -> Cart:
    """Record a checkout step (``CartEvent.Kind``: checkout started, details given, shipping
    chosen, payment started, payment failed) with its time. The payment steps are also taken
    for a converted cart (paying online comes after the order is placed); the stage stays."""
    if kind not in CART_STEPS:
        raise ValueError(f"not a cart step: {kind!r}")
    cart = _lock(cart)
    if kind not in AFTER_ORDER_STEPS:
        _require_open(cart)
    _log(cart, kind, detail=detail)
    return cart


@transaction.atomic
def give_cart_email(*, cart: Cart, email: str, consent: bool) -> Cart:
    """The customer's e-mail and whether they agree to reminders about this cart; records the
    "details given" step."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise CartError(_("Enter a valid e-mail address.")) from exc
    cart = _lock(cart)
    _require_open(cart)
    cart.email = email
    cart.reminder_consent = bool(consent)
    if consent:
        cart.unsubscribed = False  # agreeing again, in this cart, is a new yes
    # Not linked to a Customer by the typed address: anyone may type any address, and a
    # customer's group (wholesale prices) must not follow it.
    cart.save(update_fields=["email", "reminder_consent", "unsubscribed"])
    _log(cart, CartEvent.Kind.DETAILS_GIVEN, detail=_("e-mail given"))
    return cart


def _by_token(token) -> Cart | None:
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return Cart.objects.select_for_update().select_related("channel").filter(token=token).first()


@transaction.atomic
def restore_cart(*, token: str | uuid.UUID, session_key: str) -> Cart:
    """Open the cart from a reminder's link in this browser session (any device)."""
    cart = _by_token(token)
    if cart is None:
        raise CartError(_("This cart link is not valid."))
    if cart.status != CartStatus.OPEN:
        raise CartError(_("This cart has already been ordered."))
    cart.session_key = session_key or ""
    cart.save(update_fields=["session_key"])
    _log(cart, CartEvent.Kind.RESTORED)
    return cart


@transaction.atomic
def unsubscribe_cart(*, token: str | uuid.UUID) -> Cart:
    """No more reminders for this cart, nor for the same address's other open carts."""
    cart = _by_token(token)
    if cart is None:
        raise CartError(_("This link is not valid."))
    if not cart.unsubscribed:
        Cart.objects.filter(pk=cart.pk).update(unsubscribed=True)
        if cart.email:
            Cart.objects.filter(email__iexact=cart.email, status=CartStatus.OPEN).update(unsubscribed=True)
        cart.unsubscribed = True
        CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.UNSUBSCRIBED)
    return cart


@transaction.atomic
def place_order_from_cart(
    *,
    cart: Cart,
    email: str,
    customer_name: str,
    phone: str = "",
    shipping_address: dict | None = None,
    billing_address: dict | None = None,
    shipping_method=None,
    shipping_amount: Decimal = ZERO,
    shipping_tax_rate: Decimal = Decimal("19.00"),
    pickup_location=None,
    discount_code: str = "",
    payment_choice: str = "",
    by=None,
) -> Order:
    """Place the cart's order through ``place_order`` and mark the cart converted, in one
    transaction under the cart's row lock. ``payment_choice`` (``orders.models.PaymentChoice``)
    is kept on the order: billing reads it to chase an unpaid order, or not.

    Idempotent: for a cart already converted it returns that order, so a double click or a
    reload never places two. An order from a reminded cart counts as recovered, and notes
    whether the reminder's code was used.
    """
    cart = _lock(cart)
    if cart.status == CartStatus.CONVERTED and cart.order_id:
        return Order.objects.get(pk=cart.order_id)
    _require_open(cart)
    lines = _line_inputs(cart)
    if not lines:
        raise CartError(_("Your cart is empty."))
    code = (discount_code or "").strip()
    extra = {"discount_code": code} if code else {}
    order = place_order(
        channel=cart.channel,
        lines=lines,
        customer=cart.customer,
        email=email,
        phone=phone,
        customer_name=customer_name,
        billing_address=billing_address,
        shipping_address=shipping_address,
        shipping_method=shipping_method,
        shipping_amount=shipping_amount,
        shipping_tax_rate=shipping_tax_rate,
        pickup_location=pickup_location,
        payment_choice=payment_choice,
        by=by,
        **extra,
    )
    now = timezone.now()
    cart.status = CartStatus.CONVERTED
    cart.order = order
    cart.converted_at = now
    cart.email = cart.email or email
    cart.recovered = cart.reminders_sent > 0
    cart.incentive_used = bool(cart.incentive_code) and code.upper() == cart.incentive_code.upper()
    cart.save(update_fields=["status", "order", "converted_at", "email", "recovered", "incentive_used"])
    _log(cart, CartEvent.Kind.ORDER_PLACED, detail=order.number or "")
    return order


def _line_inputs(cart: Cart) -> list[LineInput]:
    return [
        LineInput(variant=line.variant, quantity=line.quantity)
        for line in cart.lines.select_related("variant__product").order_by("added_at", "id")
    ]


def preview_cart_order(
    *,
    cart: Cart,
    email: str = "",
    shipping_amount: Decimal = ZERO,
    shipping_tax_rate: Decimal = Decimal("19.00"),
    discount_code: str = "",
) -> tuple[list, dict[str, Decimal]] | None:
    """The priced lines and totals the cart's order would get if placed now with this shipping and
    code (``preview_order``, the code path placing takes; writes nothing), or None when it cannot
    be priced (an item without a price, a refused code: the checkout says why on its own)."""
    lines = _line_inputs(cart)
    if not lines:
        return None
    entry = OrderEntry(
        channel=cart.channel,
        lines=lines,
        customer=cart.customer,
        email=email,
        shipping_amount=shipping_amount,
        shipping_tax_rate=shipping_tax_rate,
        discount_code=(discount_code or "").strip(),
    )
    try:
        return preview_order(entry=entry)
    except OrderError:
        return None


# ------------------------------------------------------------------------------
# Abandoned-cart recovery
# ------------------------------------------------------------------------------


@transaction.atomic
def send_cart_reminder(*, cart_id: int, number: int, now=None) -> bool:
    """Send reminder ``number`` for the cart, once.

    The reminder is claimed first with a guarded UPDATE (``reminders_sent`` from n − 1 to n,
    only while the cart is still open, consenting, not unsubscribed and idle long enough);
    0 rows means another run or worker has it, or it is no longer due, and nothing is sent.
    The claim, the incentive code, the event and the send share one transaction: a failed
    send rolls the claim back and the next run (or the retry) tries again. On PostgreSQL the
    UPDATE holds the row lock until commit, so a second worker waits and then finds 0 rows.
    """
    now = now or timezone.now()
    store = StoreSettings.load()
    if not 1 <= number <= store.cart_reminders_max:
        return False
    claimed = Cart.objects.filter(reminder_due_q(number=number, store=store, now=now), pk=cart_id).update(
        reminders_sent=number, last_reminded_at=now
    )
    if not claimed:
        return False
    cart = Cart.objects.select_related("channel__price_list", "customer").get(pk=cart_id)
    expires_at = None
    if store.cart_incentive_enabled and not cart.incentive_code:
        created = create_incentive_code(
            kind=store.cart_incentive_kind,
            value=store.cart_incentive_value,
            valid_days=store.cart_incentive_valid_days,
            prefix="BACK",
            channels=[cart.channel],
            description=_("Reminder for cart %(id)s") % {"id": cart.pk},
            now=now,
        )
        cart.incentive_code = created.code
        Cart.objects.filter(pk=cart.pk).update(incentive_code=cart.incentive_code)
    CartEvent.objects.create(
        cart=cart, kind=CartEvent.Kind.REMINDED, quantity=number, detail=cart.incentive_code, created_at=now
    )
    if cart.incentive_code:
        expires_at = DiscountCode.objects.filter(code=cart.incentive_code).values_list("valid_until", flat=True).first()
    _send_reminder_email(cart=cart, number=number, store=store, expires_at=expires_at)
    return True


def cart_link(token, kind: str) -> str:
    """The public restore or unsubscribe link of a cart (works on any device)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + f"/shop/cart/{kind}/{token}/"


def _send_reminder_email(*, cart: Cart, number: int, store: StoreSettings, expires_at) -> None:
    from orders.selectors.carts import get_cart_contents

    contents = get_cart_contents(cart=cart)
    unsubscribe_url = cart_link(cart.token, "unsubscribe")
    context = {
        "cart": cart,
        "contents": contents,
        "number": number,
        "store_name": store.name or settings.STORE_NAME,
        "restore_url": cart_link(cart.token, "restore"),
        "unsubscribe_url": unsubscribe_url,
        "incentive_code": cart.incentive_code,
        "incentive_kind": store.cart_incentive_kind,
        "incentive_value": store.cart_incentive_value,
        "incentive_expires_at": expires_at,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("orders/email/cart_reminder.subject.txt", context).strip(),
        body=render_to_string("orders/email/cart_reminder.txt", context),
        to=[cart.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string("orders/email/cart_reminder.html", context), "text/html")
    message.send()


@transaction.atomic
def send_cart_alert(*, cart_id: int) -> bool:
    """Tell the owners a cart has passed their value threshold, once per cart: the mark is
    claimed with a guarded UPDATE in the same transaction as the send."""
    store = StoreSettings.load()
    threshold = store.cart_alert_above
    cart = Cart.objects.select_related("channel__price_list", "customer").filter(pk=cart_id).first()
    if cart is None or threshold is None:
        return False
    value = cart_value(cart=cart)
    if value <= threshold:
        return False
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=OWNER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    ) or ([store.email] if store.email else [])
    if not recipients:
        return False
    if not Cart.objects.filter(pk=cart_id, owner_alerted_at__isnull=True).update(owner_alerted_at=timezone.now()):
        return False
    from orders.selectors.carts import get_cart_contents

    context = {
        "cart": cart,
        "contents": get_cart_contents(cart=cart),
        "value": value,
        "threshold": threshold,
        "store_name": store.name or settings.STORE_NAME,
        "report_url": settings.PUBLIC_BASE_URL.rstrip("/") + "/carts/report/",
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("orders/email/cart_alert.subject.txt", context).strip(),
        body=render_to_string("orders/email/cart_alert.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string("orders/email/cart_alert.html", context), "text/html")
    message.send()
    return True
