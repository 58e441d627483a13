"""Reads about storefront carts: the cart page's contents, which carts are due a reminder,
and the owner's cart report (started, abandoned, reminded, recovered, where carts stopped)."""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from catalog.models import StoreSettings, Variant
from catalog.money import ZERO, line_net, shown_line_grosses
from catalog.selectors import get_unit_prices, shop_price, shop_vat_breakdown
from inventory.selectors import get_availability
from orders.models import CART_STAGE_ORDER, Cart, CartEvent, CartLine, CartStage, CartStatus

# ------------------------------------------------------------------------------
# The storefront's cart
# ------------------------------------------------------------------------------


def get_open_cart(*, channel, session_key: str = "", cart_token: str | uuid.UUID | None = None) -> Cart | None:
    """The session's open cart on the channel (by the token kept in the session, else the
    session key), or None: reading never creates one. One query."""
    carts = Cart.objects.filter(channel=channel, status=CartStatus.OPEN).select_related("channel")
    if cart_token:
        try:
            found = carts.filter(token=uuid.UUID(str(cart_token))).first()
        except ValueError:
            found = None
        if found is not None:
            return found
    if session_key:
        return carts.filter(session_key=session_key).order_by("-last_activity_at", "-id").first()
    return None


def get_cart_by_token(*, token) -> Cart | None:
    """The cart a reminder's link names, or None for a malformed or unknown token."""
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return Cart.objects.filter(token=token).first()


@dataclass(frozen=True)
class CartItem:
    line: CartLine
    variant: Variant
    quantity: int
    unit_price: Decimal | None  # net; None when the channel has no price for it
    line_total: Decimal
    tax_rate: Decimal
    available: int  # units the channel can sell now (on hand − reserved)
    line_gross: Decimal = ZERO  # as the shop shows it: with VAT

    @property
    def over_available(self) -> bool:
        return self.quantity > self.available and not self.variant.allow_backorder


@dataclass(frozen=True)
class CartContents:
    cart: Cart
    items: list[CartItem] = field(default_factory=list)
    subtotal: Decimal = ZERO  # the sum of the price-list amounts (net, or gross when the list includes VAT)
    currency: str = ""
    net: Decimal = ZERO  # VAT per rate on the sum of each rate's lines, as the order will have it
    gross: Decimal = ZERO  # what the customer pays for the goods

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)


def get_cart_contents(*, cart: Cart) -> CartContents:
    """The cart's lines with the channel's prices and live availability, in three queries
    whatever the number of lines."""
    lines = list(cart.lines.select_related("variant__product__tax_rate").order_by("added_at", "id"))
    currency = cart.channel.price_list.currency if cart.channel.price_list_id else ""
    if not lines:
        return CartContents(cart=cart, currency=currency)
    quantities = {line.variant_id: line.quantity for line in lines}
    group = cart.customer.group if cart.customer_id else None
    prices = get_unit_prices(channel=cart.channel, quantities=quantities, customer_group=group)
    available = get_availability(variant_ids=list(quantities), channel_id=cart.channel_id)
    includes_tax = bool(cart.channel.price_list.prices_include_tax)
    items = []
    for line in lines:
        price = prices.get(line.variant_id)
        total = line_net(unit_price=price, quantity=line.quantity) if price is not None else ZERO
        items.append(
            CartItem(
                line=line,
                variant=line.variant,
                quantity=line.quantity,
                unit_price=price,
                line_total=total,
                tax_rate=line.variant.product.tax_rate.rate,
                available=max(available.get(line.variant_id, 0), 0),
                line_gross=shop_price(total, line.variant.product.tax_rate.rate, includes_tax=includes_tax),
            )
        )
    # Line grosses that add up to the subtotal the order will have (per rate, not per line).
    grosses = shown_line_grosses([(i.tax_rate, i.line_total) for i in items], includes_tax=includes_tax)
    items = [replace(item, line_gross=amount) for item, amount in zip(items, grosses, strict=True)]
    breakdown = shop_vat_breakdown(((i.tax_rate, i.line_total) for i in items), includes_tax=includes_tax)
    net = sum((basis for basis, _vat in breakdown.values()), ZERO)
    return CartContents(
        cart=cart,
        items=items,
        subtotal=sum((i.line_total for i in items), ZERO),
        currency=currency,
        net=net,
        gross=net + sum((vat for _basis, vat in breakdown.values()), ZERO),
    )


# ------------------------------------------------------------------------------
# Abandoned-cart reminders
# ------------------------------------------------------------------------------


def reminder_delay(*, number: int, store: StoreSettings) -> timedelta:
    """How long a cart must have been idle before reminder ``number`` (1, 2, …) is due:
    the first delay, then (n − 1) × the next delay; never sooner than the store's
    abandoned-cart threshold."""
    hours = (
        store.cart_first_reminder_after_hours if number <= 1 else store.cart_next_reminder_after_hours * (number - 1)
    )
    return max(timedelta(hours=hours), timedelta(minutes=store.abandoned_cart_after_minutes))


def reminder_due_q(*, number: int, store: StoreSettings, now: datetime) -> Q:
    """Carts for which reminder ``number`` is due now: open, with an e-mail and consent, not
    unsubscribed, exactly ``number − 1`` reminders sent, idle long enough, and the previous
    reminder at least the gap between the two delays ago (a cart found late gets its
    reminders spaced out, not two at once)."""
    delay = reminder_delay(number=number, store=store)
    # No join: the same condition guards the claiming UPDATE, where PostgreSQL re-checks it
    # on the row a concurrent claim has just committed.
    q = Q(
        Exists(CartLine.objects.filter(cart_id=OuterRef("pk"))),
        status=CartStatus.OPEN,
        reminder_consent=True,
        unsubscribed=False,
        reminders_sent=number - 1,
        last_activity_at__lte=now - delay,
    ) & ~Q(email="")
    if number > 1:
        gap = delay - reminder_delay(number=number - 1, store=store)
        q &= Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - gap)
    return q


def list_carts_due_for_reminder(*, now: datetime | None = None, limit: int = 200) -> list[tuple[int, int]]:
    """``(cart id, reminder number)`` for the carts due a reminder now, oldest activity first.
    Two queries (the settings, the carts)."""
    now = now or timezone.now()
    store = StoreSettings.load()
    if store.cart_reminders_max <= 0:
        return []
    due = Q(pk__in=[])
    for number in range(1, store.cart_reminders_max + 1):
        due |= reminder_due_q(number=number, store=store, now=now)
    rows = Cart.objects.filter(due).order_by("last_activity_at", "id").values_list("id", "reminders_sent")[:limit]
    return [(cart_id, sent + 1) for cart_id, sent in rows]


# ------------------------------------------------------------------------------
# The owner's cart report
# ------------------------------------------------------------------------------

REPORT_MAX_DAYS = 366


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    reached: int  # carts that got at least this far
    stopped: int  # open carts whose furthest step is this one


@dataclass(frozen=True)
class CartReport:
    date_from: date
    date_to: date
    started: int
    converted: int
    abandoned: int
    reminded: int
    recovered: int
    incentive_used: int
    payment_failed: int  # carts with at least one failed payment
    recovered_revenue: Decimal
    currency: str
    funnel: list[FunnelStep]

    @property
    def recovery_rate(self) -> Decimal | None:
        """Recovered carts per reminded cart, in percent (None before any reminder)."""
        if not self.reminded:
            return None
        return (Decimal(self.recovered) * 100 / self.reminded).quantize(Decimal("0.1"))


def get_cart_report(*, date_from: date, date_to: date, now: datetime | None = None) -> CartReport:
    """Carts started between the two local days (inclusive): how many, how many were left
    behind, reminded, recovered (and for how much), and the funnel of where they stopped.

    Two queries whatever the number of carts (the settings, one aggregate). "Abandoned" is a
    cart left open and idle longer than the store's threshold, or one that was recovered
    (it was left behind before it came back).
    """
    from orders.selectors.dashboard import start_of

    now = now or timezone.now()
    store = StoreSettings.load()
    idle_before = now - timedelta(minutes=store.abandoned_cart_after_minutes)
    carts = Cart.objects.filter(
        created_at__gte=start_of(date_from), created_at__lt=start_of(date_to + timedelta(days=1))
    )
    open_q = Q(status=CartStatus.OPEN)
    figures = {
        "n_started": Count("id"),
        "n_converted": Count("id", filter=Q(status=CartStatus.CONVERTED)),
        "n_abandoned": Count("id", filter=(open_q & Q(last_activity_at__lte=idle_before)) | Q(recovered=True)),
        "n_reminded": Count("id", filter=Q(reminders_sent__gt=0)),
        "n_recovered": Count("id", filter=Q(recovered=True)),
        "n_incentive_used": Count("id", filter=Q(incentive_used=True)),
        "n_payment_failed": Count(
            "id",
            filter=Q(Exists(CartEvent.objects.filter(cart_id=OuterRef("pk"), kind=CartEvent.Kind.PAYMENT_FAILED))),
        ),
        "n_recovered_revenue": Sum("order__total_amount", filter=Q(recovered=True), default=ZERO),
    }
    for stage in CART_STAGE_ORDER:
        figures[f"at_{stage}"] = Count("id", filter=Q(stage=stage))
        figures[f"open_at_{stage}"] = Count("id", filter=open_q & Q(stage=stage))
    row = carts.aggregate(**figures)
    funnel = []
    reached = row["n_started"]
    for stage in CART_STAGE_ORDER:
        funnel.append(
            FunnelStep(stage=stage, label=str(CartStage(stage).label), reached=reached, stopped=row[f"open_at_{stage}"])
        )
        reached -= row[f"at_{stage}"]
    return CartReport(
        date_from=date_from,
        date_to=date_to,
        started=row["n_started"],
        converted=row["n_converted"],
        abandoned=row["n_abandoned"],
        reminded=row["n_reminded"],
        recovered=row["n_recovered"],
        incentive_used=row["n_incentive_used"],
        payment_failed=row["n_payment_failed"],
        recovered_revenue=row["n_recovered_revenue"],
        currency=settings.STORE_CURRENCY,
        funnel=funnel,
    )
