"""Demo storefront carts for ``seed_demo``: carts stopped at every step, some reminded, some
recovered (linked to demo web orders), so the cart report and the live feed show something.

Demo carts carry ``session_key="demo-cart-<n>"``; when any exists, nothing is written again.
Rows are written directly (not through the services) with their times in the past: the
services would stamp "now" and reserve stock the demo's ledger already accounts for.
"""

import random
from datetime import timedelta

from orders.management.demo.reference import Reference
from orders.models import CART_STAGE_ORDER, Cart, CartEvent, CartLine, CartStage, CartStatus, Order

PREFIX = "demo-cart-"
OPEN_CARTS = 30
CONVERTED_CARTS = 12

# The event written for each stage a cart passes after the first item.
_STAGE_EVENTS = {
    CartStage.CHECKOUT: CartEvent.Kind.CHECKOUT_STARTED,
    CartStage.DETAILS: CartEvent.Kind.DETAILS_GIVEN,
    CartStage.SHIPPING: CartEvent.Kind.SHIPPING_CHOSEN,
    CartStage.PAYMENT: CartEvent.Kind.PAYMENT_STARTED,
    CartStage.PLACED: CartEvent.Kind.ORDER_PLACED,
}


def ensure_demo_carts(*, ref: Reference, now, seed: int = 42) -> int:
    """Write the demo carts once; returns how many were written (0 on a second run)."""
    if Cart.objects.filter(session_key__startswith=PREFIX).exists():
        return 0
    channel = ref.channels.get("web")
    variants = ref.channel_variants.get("web") or []
    if channel is None or not variants:
        return 0
    rng = random.Random(seed)
    orders = list(
        Order.objects.placed()
        .filter(channel=channel, placed_at__gte=now - timedelta(days=14), cart__isnull=True)
        .order_by("-placed_at")
        .values_list("pk", "placed_at", "email")[:CONVERTED_CARTS]
    )
    carts, lines, events = [], [], []
    plans = []
    for n in range(OPEN_CARTS):
        stage = rng.choices(CART_STAGE_ORDER[:-1], weights=[10, 6, 4, 3, 2])[0]
        started = now - timedelta(days=rng.uniform(0, 13), minutes=rng.randint(5, 600))
        plans.append((n, stage, started, None, ""))
    for k, (order_id, placed_at, email) in enumerate(orders):
        # every third order came back after a reminder (1 h, 2 h or 30 h after leaving)
        started = placed_at - timedelta(hours=rng.choice([1, 2, 30]) if k % 3 == 0 else 0, minutes=rng.randint(12, 40))
        plans.append((OPEN_CARTS + k, CartStage.PLACED, started, order_id, email or ""))
    for n, stage, started, order_id, email in plans:
        rank = CART_STAGE_ORDER.index(stage)
        has_email = rank >= CART_STAGE_ORDER.index(CartStage.DETAILS) or rng.random() < 0.2
        steps = [started + timedelta(minutes=2 * i + rng.randint(0, 1)) for i in range(rank + 1)]
        converted = order_id is not None
        if converted:
            steps[-1] = next(placed for pk, placed, _e in orders if pk == order_id)
            left_at = steps[-2]  # the last step before the order
            away = steps[-1] - left_at
        else:
            left_at = steps[-1]
            away = now - left_at
        reminded = 0
        if has_email and away >= timedelta(hours=1):
            reminded = 2 if away >= timedelta(hours=24) else 1
        reminders = [left_at + timedelta(hours=1 if r == 0 else 24) for r in range(reminded)]
        cart = Cart(
            session_key=f"{PREFIX}{n}",
            channel=channel,
            email=email or (f"shopper{n}@example.com" if has_email else ""),
            reminder_consent=has_email,
            status=CartStatus.CONVERTED if converted else CartStatus.OPEN,
            stage=stage,
            order_id=order_id,
            last_activity_at=steps[-1],
            reminders_sent=reminded,
            last_reminded_at=reminders[-1] if reminders else None,
            recovered=converted and reminded > 0,
            converted_at=steps[-1] if converted else None,
            created_at=started,
        )
        carts.append((cart, steps, reminders))
    Cart.objects.bulk_create([cart for cart, _steps, _reminders in carts])
    for cart, steps, reminders in carts:
        chosen = rng.sample(variants, k=min(len(variants), rng.randint(1, 3)))
        for i, variant in enumerate(chosen):
            quantity = rng.randint(1, 3)
            lines.append(CartLine(cart=cart, variant_id=variant.id, quantity=quantity, added_at=steps[0]))
            events.append(
                CartEvent(
                    cart=cart,
                    kind=CartEvent.Kind.ITEM_ADDED,
                    variant_id=variant.id,
                    quantity=quantity,
                    created_at=steps[0] + timedelta(seconds=20 * i),
                )
            )
        for stage, when in zip(CART_STAGE_ORDER[1:], steps[1:], strict=False):
            events.append(CartEvent(cart=cart, kind=_STAGE_EVENTS[stage], created_at=when))
        for number, when in enumerate(reminders, start=1):
            events.append(CartEvent(cart=cart, kind=CartEvent.Kind.REMINDED, quantity=number, created_at=when))
    CartLine.objects.bulk_create(lines)
    CartEvent.objects.bulk_create(events)
    return len(carts)
