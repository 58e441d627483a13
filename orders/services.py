"""Every change to an order: placing it, moving its status, keeping its derived axes.

Each function is one transaction; it locks the order row, refuses a change the state table
does not allow with a message a person can read, writes the timeline, and enqueues side
effects (e-mails) only after commit.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Channel, Variant
from catalog.money import HUNDRED, ZERO, line_net, quantize, vat_breakdown
from catalog.selectors import get_unit_prices
from inventory.models import Location, StockLevel
from inventory.services import ReservationRequest, receive_stock, release_reservations, reserve_stock
from orders.exceptions import DuplicateOrder, InvalidOrder, InvalidTransition, OrderError
from orders.models import Customer, FulfilmentStatus, Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from orders.tasks import send_order_email as send_order_email_task

MAX_LINE_QUANTITY = 10_000


@dataclass(frozen=True)
class LineInput:
    variant: Variant
    quantity: int


def _event(order: Order, kind: str, *, by=None, message: str = "", old: str = "", new: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, by=by, message=message, old_value=old, new_value=new)


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(order: Order, *, to: str, by=None, note: str = "") -> None:
    """The one gate for status changes: the state table decides."""
    if not order.can_become(to):
        raise InvalidTransition(
            _("Order %(number)s is %(status)s and cannot become %(target)s.")
            % {"number": order, "status": order.get_status_display(), "target": OrderStatus(to).label}
        )
    _event(order, OrderEvent.Kind.STATUS, by=by, message=note, old=order.status, new=to)
    order.status = to
    stamp = {OrderStatus.COMPLETED: "completed_at", OrderStatus.CANCELLED: "cancelled_at"}.get(to)
    if stamp:
        setattr(order, stamp, timezone.now())
    order.save(update_fields=["status", "updated_at", "completed_at", "cancelled_at"])


def _price_lines(*, channel: Channel, lines: Sequence[LineInput], customer: Customer | None) -> list[OrderLine]:
    if not lines:
        raise InvalidOrder(_("Add at least one item to the order."), field="lines")
    merged: dict[int, int] = {}
    variants: dict[int, Variant] = {}
    for line in lines:
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            raise InvalidOrder(
                _("%(sku)s: the quantity must be a whole number above zero.") % {"sku": line.variant.sku},
                field="lines",
            )
        merged[line.variant.pk] = merged.get(line.variant.pk, 0) + line.quantity
        variants[line.variant.pk] = line.variant
    too_many = [variants[v].sku for v, q in merged.items() if q > MAX_LINE_QUANTITY]
    if too_many:
        raise InvalidOrder(
            _("%(skus)s: at most %(max)s units per line.") % {"skus": ", ".join(too_many), "max": MAX_LINE_QUANTITY},
            field="lines",
        )
    sold = set(
        Variant.objects.filter(
            pk__in=list(merged), is_active=True, product__is_active=True, product__channels=channel
        ).values_list("pk", flat=True)
    )
    not_sold = [variants[v].sku for v in merged if v not in sold]
    if not_sold:
        raise InvalidOrder(
            _("Not sold on %(channel)s: %(skus)s.") % {"channel": channel.name, "skus": ", ".join(not_sold)},
            field="lines",
        )
    group = customer.group if customer is not None else None
    prices = get_unit_prices(channel=channel, quantities=merged, customer_group=group)
    unpriced = [variants[v].sku for v in merged if v not in prices]
    if unpriced:
        raise InvalidOrder(
            _("No price on %(channel)s for: %(skus)s.") % {"channel": channel.name, "skus": ", ".join(unpriced)},
            field="lines",
        )
    full = {v.pk: v for v in Variant.objects.filter(pk__in=list(merged)).select_related("product__tax_rate")}
    result = []
    for variant_id, quantity in merged.items():
        variant = full[variant_id]
        tax = variant.product.tax_rate
        result.append(
            OrderLine(
                variant=variant,
                sku=variant.sku,
                product_name=variant.product.name,
                variant_name=variant.name,
                quantity=quantity,
                unit_price_amount=prices[variant_id],
                tax_rate=tax.rate,
                tax_category=tax.category,
                line_total_amount=line_net(unit_price=prices[variant_id], quantity=quantity),
            )
        )
    return result


def compute_totals(
    *, lines: Sequence[OrderLine], discount_percent: Decimal, shipping_amount: Decimal, shipping_tax_rate: Decimal
) -> dict[str, Decimal]:
    """Order totals by the EN 16931 rules: the discount is an allowance per VAT rate, and VAT
    is computed per rate on the sum of that rate's nets (after the allowance), then rounded."""
    subtotal = sum((line.line_total_amount for line in lines), ZERO)
    by_rate = vat_breakdown((line.tax_rate, line.line_total_amount) for line in lines)
    discount = ZERO
    taxable: list[tuple[Decimal, Decimal]] = []
    for rate, (basis, _vat) in by_rate.items():
        allowance = quantize(basis * discount_percent / HUNDRED)
        discount += allowance
        taxable.append((rate, basis - allowance))
    if shipping_amount:
        taxable.append((shipping_tax_rate, shipping_amount))
    tax = sum((vat for _basis, vat in vat_breakdown(taxable).values()), ZERO)
    total = subtotal - discount + shipping_amount + tax
    return {
        "subtotal_amount": subtotal,
        "discount_amount": discount,
        "shipping_amount": shipping_amount,
        "tax_amount": tax,
        "total_amount": total,
    }


@transaction.atomic
def place_order(
    *,
    channel: Channel,
    lines: Sequence[LineInput],
    customer: Customer | None = None,
    email: str = "",
    phone: str = "",
    customer_name: str = "",
    billing_address: dict | None = None,
    shipping_address: dict | None = None,
    shipping_method=None,
    shipping_amount: Decimal = ZERO,
    shipping_tax_rate: Decimal = Decimal("19.00"),
    pickup_location: Location | None = None,
    discount_percent: Decimal = ZERO,
    external_reference: str = "",
    notes: str = "",
    by=None,
) -> Order:
    """Place an order from any source: price it, reserve its stock, give it a number.

    All or nothing: a refusal (unknown item, no price, not enough stock) raises an
    ``OrderError`` or ``InsufficientStock`` and leaves no order and no reservation behind.
    The number is ``ORDER_NUMBER_START + id``, so placing never waits on a counter row.
    """
    if not channel.is_active:
        raise InvalidOrder(
            _("The channel %(channel)s is not taking orders.") % {"channel": channel.name}, field="channel"
        )
    if not Decimal(0) <= Decimal(discount_percent) <= HUNDRED:
        raise InvalidOrder(_("The discount must be between 0 and 100 %."), field="discount_percent")
    if shipping_amount < 0:
        raise InvalidOrder(_("The shipping price cannot be negative."), field="shipping_amount")
    if pickup_location is not None and not pickup_location.is_pickup_point:
        raise InvalidOrder(
            _("%(location)s is not a pickup point.") % {"location": pickup_location.name}, field="pickup_location"
        )
    if external_reference:
        existing = (
            Order.objects.filter(channel=channel, external_reference=external_reference)
            .values_list("number", flat=True)
            .first()
        )
        if existing:
            raise DuplicateOrder(existing)
    priced = _price_lines(channel=channel, lines=lines, customer=customer)
    if customer is not None:
        email = email or customer.email
        phone = phone or customer.phone
        customer_name = customer_name or customer.full_name or customer.company_name
    order = Order(
        channel=channel,
        customer=customer,
        currency=channel.price_list.currency,
        email=email,
        phone=phone,
        customer_name=customer_name,
        billing_address=billing_address or shipping_address or {},
        shipping_address=shipping_address or {},
        shipping_method=shipping_method,
        pickup_location=pickup_location,
        shipping_tax_rate=shipping_tax_rate,
        external_reference=external_reference,
        notes=notes,
        created_by=by,
        **compute_totals(
            lines=priced,
            discount_percent=Decimal(discount_percent),
            shipping_amount=quantize(shipping_amount),
            shipping_tax_rate=shipping_tax_rate,
        ),
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:  # a concurrent twin with the same external reference won
        existing = Order.objects.filter(channel=channel, external_reference=external_reference).first()
        if existing is not None and external_reference:
            raise DuplicateOrder(existing.number) from exc
        raise
    for line in priced:
        line.order = order
    OrderLine.objects.bulk_create(priced)
    return _finish_placing(order=order, by=by)


def _finish_placing(*, order: Order, by=None) -> Order:
    """Reserve the stock of a draft's lines, number it and move it to placed."""
    lines = list(order.lines.select_related("variant"))
    if not lines:
        raise InvalidOrder(_("Add at least one item to the order."), field="lines")
    backordered = reserve_stock(
        requests=[
            ReservationRequest(
                order_line_id=line.pk,
                variant_id=line.variant_id,
                sku=line.sku,
                quantity=line.quantity,
                allow_backorder=line.variant.allow_backorder,
            )
            for line in lines
        ],
        location_ids=list(order.channel.locations.filter(is_active=True).values_list("pk", flat=True)),
    )
    for line in lines:
        if backordered.get(line.pk):
            line.quantity_backordered = backordered[line.pk]
            line.save(update_fields=["quantity_backordered"])
    order.number = str(settings.ORDER_NUMBER_START + order.pk)
    order.placed_at = timezone.now()
    order.save(update_fields=["number", "placed_at"])
    _move(order, to=OrderStatus.PLACED, by=by)
    _event(
        order,
        OrderEvent.Kind.PLACED,
        by=by,
        message=_("Placed on %(channel)s: %(count)s items, %(total)s %(currency)s.")
        % {
            "channel": order.channel.name,
            "count": sum(line.quantity for line in lines),
            "total": order.total_amount,
            "currency": order.currency,
        },
    )
    if order.email:
        transaction.on_commit(partial(send_order_email_task.delay, order_id=order.pk, kind="placed"))
    return order


@transaction.atomic
def place_draft_order(*, order: Order, by=None) -> Order:
    """Place an order that staff saved as a draft: its stock is reserved now, not before."""
    order = _lock(order)
    if not order.can_become(OrderStatus.PLACED):
        raise InvalidTransition(
            _("Order %(number)s is %(status)s and cannot become %(target)s.")
            % {"number": order, "status": order.get_status_display(), "target": OrderStatus.PLACED.label}
        )
    return _finish_placing(order=order, by=by)


@transaction.atomic
def receive_stock_and_fill_backorders(
    *, variant: Variant, location: Location, quantity: int, by=None, reason: str = ""
) -> StockLevel:
    """Receive a delivery, then reserve the new units for waiting backorders, oldest first.

    Only orders of channels that this location serves are filled; each filled line gets a
    timeline entry on its order.
    """
    level = receive_stock(variant=variant, location=location, quantity=quantity, by=by, reason=reason)
    waiting = list(
        OrderLine.objects.select_for_update()
        .filter(
            variant=variant,
            quantity_backordered__gt=0,
            order__status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING],
            order__channel__locations=location,
        )
        .select_related("order")
        .order_by("order__placed_at", "order_id", "pk")
    )
    for line in waiting:
        level.refresh_from_db(fields=["on_hand", "reserved"])
        if level.available <= 0:
            break
        wanted = min(line.quantity_backordered, level.available)
        still_short = reserve_stock(
            requests=[
                ReservationRequest(
                    order_line_id=line.pk, variant_id=variant.pk, sku=line.sku, quantity=wanted, allow_backorder=True
                )
            ],
            location_ids=[location.pk],
        ).get(line.pk, 0)
        filled = wanted - still_short
        if filled:
            OrderLine.objects.filter(pk=line.pk).update(quantity_backordered=F("quantity_backordered") - filled)
            _event(
                line.order,
                OrderEvent.Kind.STOCK,
                by=by,
                message=_("%(count)s × %(sku)s reserved from new stock at %(location)s.")
                % {"count": filled, "sku": line.sku, "location": location.name},
            )
    level.refresh_from_db()
    return level


@transaction.atomic
def cancel_order(*, order: Order, by=None, reason: str = "") -> Order:
    """Cancel an order that has not left the building; its reserved stock is released."""
    order = _lock(order)
    if order.fulfilment_status != FulfilmentStatus.UNFULFILLED:
        raise InvalidTransition(
            _("Order %(number)s has already been shipped in part or in full; record a return instead.")
            % {"number": order}
        )
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID):
        raise InvalidTransition(_("Order %(number)s has payments; refund them before cancelling.") % {"number": order})
    _move(order, to=OrderStatus.CANCELLED, by=by, note=reason)
    released = release_reservations(order_line_ids=list(order.lines.values_list("pk", flat=True)))
    if released:
        _event(
            order, OrderEvent.Kind.STOCK, by=by, message=_("%(count)s reserved units released.") % {"count": released}
        )
    if order.email and order.number:
        transaction.on_commit(partial(send_order_email_task.delay, order_id=order.pk, kind="cancelled"))
    return order


@transaction.atomic
def start_processing(*, order: Order, by=None, note: str = "") -> Order:
    """Payment is settled (or the customer buys on terms): the order is now being fulfilled."""
    order = _lock(order)
    _move(order, to=OrderStatus.PROCESSING, by=by, note=note)
    return order


@transaction.atomic
def complete_order(*, order: Order, by=None, note: str = "") -> Order:
    """Close an order that is paid and has reached the customer."""
    order = _lock(order)
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        raise InvalidTransition(_("Order %(number)s is not paid yet.") % {"number": order})
    if order.fulfilment_status not in (FulfilmentStatus.FULFILLED, FulfilmentStatus.DELIVERED):
        raise InvalidTransition(_("Order %(number)s has not been fulfilled yet.") % {"number": order})
    _move(order, to=OrderStatus.COMPLETED, by=by, note=note)
    return order


@transaction.atomic
def add_order_note(*, order: Order, by, message: str) -> OrderEvent:
    message = message.strip()
    if not message:
        raise OrderError(_("Write something in the note."))
    return _event(order, OrderEvent.Kind.NOTE, by=by, message=message)


def derive_payment_status(*, total: Decimal, paid: Decimal, refunded: Decimal) -> str:
    """The payment axis follows from the money alone."""
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    if paid <= 0:
        return PaymentStatus.UNPAID
    return PaymentStatus.PAID if paid >= total else PaymentStatus.PARTIALLY_PAID


@transaction.atomic
def sync_payment_status(*, order: Order, by=None) -> Order:
    """Recompute the payment status from the order's verified payments and refunds.

    Called by billing after it records money. A placed order that becomes paid moves on to
    processing.
    """
    order = _lock(order)
    sums = {
        row["kind"]: row["total"] or ZERO
        for row in order.payments.filter(status="verified").values("kind").annotate(total=Sum("amount"))
    }
    new = derive_payment_status(
        total=order.total_amount, paid=sums.get("payment", ZERO), refunded=sums.get("refund", ZERO)
    )
    if new != order.payment_status:
        _event(order, OrderEvent.Kind.PAYMENT_RECORDED, by=by, old=order.payment_status, new=new)
        order.payment_status = new
        order.save(update_fields=["payment_status", "updated_at"])
    if new == PaymentStatus.PAID and order.status == OrderStatus.PLACED:
        _move(order, to=OrderStatus.PROCESSING, by=by, note=_("Paid in full."))
    return order


def derive_fulfilment_status(*, ordered: int, shipped: int, delivered: int) -> str:
    if ordered and delivered >= ordered:
        return FulfilmentStatus.DELIVERED
    if ordered and shipped >= ordered:
        return FulfilmentStatus.FULFILLED
    if shipped > 0:
        return FulfilmentStatus.PARTIALLY_FULFILLED
    return FulfilmentStatus.UNFULFILLED


SHIPPED_STATUSES = ("shipped", "in_transit", "out_for_delivery", "delivered", "picked_up", "exception")
DELIVERED_STATUSES = ("delivered", "picked_up")


@transaction.atomic
def sync_fulfilment_status(*, order: Order, by=None) -> Order:
    """Recompute the fulfilment status from the order's shipments (called by shipping)."""
    order = _lock(order)
    ordered = order.lines.aggregate(n=Sum("quantity"))["n"] or 0
    shipped = (
        order.lines.filter(shipment_lines__shipment__status__in=SHIPPED_STATUSES).aggregate(
            n=Sum("shipment_lines__quantity")
        )["n"]
        or 0
    )
    delivered = (
        order.lines.filter(shipment_lines__shipment__status__in=DELIVERED_STATUSES).aggregate(
            n=Sum("shipment_lines__quantity")
        )["n"]
        or 0
    )
    new = derive_fulfilment_status(ordered=ordered, shipped=shipped, delivered=delivered)
    if new != order.fulfilment_status:
        _event(order, OrderEvent.Kind.SHIPMENT, by=by, old=order.fulfilment_status, new=new)
        order.fulfilment_status = new
        order.save(update_fields=["fulfilment_status", "updated_at"])
    return order


ORDER_EMAILS = {"placed", "cancelled"}


@transaction.atomic
def send_order_email(*, order_id: int, kind: str) -> bool:
    """Send one of the order's e-mails once: the timeline row that says it was sent is written
    in the same transaction, under the order's row lock, so a retried task sends nothing more.
    Returns False when there was nothing to send."""
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order e-mail {kind!r}")
    order = Order.objects.select_for_update().select_related("channel").get(pk=order_id)
    if not order.email or order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value=kind).exists():
        return False
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "store_name": settings.STORE_NAME,
        "tracking_url": settings.PUBLIC_BASE_URL.rstrip("/") + f"/track/{order.tracking_code}/",
    }
    subject = render_to_string(f"orders/email/order_{kind}.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"orders/email/order_{kind}.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"orders/email/order_{kind}.html", context), "text/html")
    _event(order, OrderEvent.Kind.EMAIL_SENT, new=kind, message=_("E-mail sent to %(email)s.") % {"email": order.email})
    message.send()
    return True
