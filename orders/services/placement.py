"""Placing orders from any source: pricing, totals, stock reservation, the number."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log
from catalog.exceptions import DiscountCodeRefused
from catalog.models import Channel, Price, Variant
from catalog.money import (
    HUNDRED,
    ZERO,
    breakdown_rows,
    gross_from_net,
    gross_totals,
    line_net,
    net_from_gross,
    quantize,
    split_allowance,
    vat_breakdown,
)
from catalog.selectors import get_unit_prices
from catalog.services import DiscountQuote, check_discount_code, redeem_discount_code
from inventory.models import Location
from inventory.services import ReservationRequest, reserve_stock
from orders.exceptions import DuplicateOrder, InvalidOrder, InvalidTransition
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus, PaymentChoice
from orders.services._common import _lock, _move
from orders.services.review import list_risk_reasons
from orders.services.webhooks import emit_order_webhook
from orders.tasks import send_order_email as send_order_email_task

MAX_LINE_QUANTITY = 10_000


@dataclass(frozen=True)
class LineInput:
    variant: Variant
    quantity: int


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
    # One read: the variants with their tax, and whether this channel sells them.
    full = {
        v.pk: v
        for v in Variant.objects.filter(pk__in=list(merged))
        .select_related("product__tax_rate")
        .annotate(
            sold_here=Exists(
                Channel.products.through.objects.filter(channel_id=channel.pk, product_id=OuterRef("product_id"))
            )
        )
    }
    sold = {pk for pk, v in full.items() if v.sold_here and v.is_active and v.product.is_active}
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
    includes_tax, gross_priced = _gross_prices(channel=channel, group=group, quantities=merged)
    result = []
    for variant_id, quantity in merged.items():
        variant = full[variant_id]
        tax = variant.product.tax_rate
        price, unit_gross = _unit_prices(
            prices[variant_id], rate=tax.rate, entered_gross=variant_id in gross_priced, order_gross=includes_tax
        )
        result.append(
            OrderLine(
                variant=variant,
                sku=variant.sku,
                product_name=variant.product.name,
                variant_name=variant.name,
                quantity=quantity,
                unit_price_amount=price,
                unit_gross_amount=unit_gross,
                tax_rate=tax.rate,
                tax_category=tax.category,
                # With VAT included this is provisional: compute_totals shares out each rate's net.
                line_total_amount=(
                    net_from_gross(unit_gross * quantity, tax.rate)
                    if includes_tax
                    else line_net(unit_price=price, quantity=quantity)
                ),
            )
        )
    return result


def _gross_prices(*, channel: Channel, group, quantities: dict[int, int]) -> tuple[bool, set[int]]:
    """Whether the order is priced with VAT included (its price list's flag), and which
    variants' prices were entered gross. A customer group's list of the other kind than the
    channel's: the prices it gives are of its kind, the channel's fallbacks of the other."""
    channel_list = channel.price_list
    if group is None or not group.price_list_id or group.price_list_id == channel.price_list_id:
        return channel_list.prices_include_tax, (set(quantities) if channel_list.prices_include_tax else set())
    group_list = group.price_list
    if group_list.prices_include_tax == channel_list.prices_include_tax:
        return group_list.prices_include_tax, (set(quantities) if group_list.prices_include_tax else set())
    from_group = {
        variant_id
        for variant_id, min_quantity in Price.objects.filter(
            price_list_id=group_list.pk, variant_id__in=list(quantities)
        ).values_list("variant_id", "min_quantity")
        if min_quantity <= quantities[variant_id]
    }
    gross = from_group if group_list.prices_include_tax else set(quantities) - from_group
    return group_list.prices_include_tax, gross


def _unit_prices(
    price: Decimal, *, rate: Decimal, entered_gross: bool, order_gross: bool
) -> tuple[Decimal, Decimal | None]:
    """(net unit price, gross unit price or None) of a line, from the price as entered."""
    if order_gross:
        gross = price if entered_gross else gross_from_net(price, rate)
        return net_from_gross(gross, rate), gross
    return (net_from_gross(price, rate) if entered_gross else price), None


def compute_totals(
    *,
    lines: Sequence[OrderLine],
    discount_percent: Decimal,
    shipping_amount: Decimal,
    shipping_tax_rate: Decimal,
    discount_fixed_amount: Decimal = ZERO,
) -> dict[str, Decimal]:
    """Order totals by the EN 16931 rules: the discount is an allowance per VAT rate, and VAT
    is computed per rate on the sum of that rate's nets (after the allowance), then rounded.

    A fixed discount (a fixed-amount code) is split over the rates in proportion to their
    bases, never more than the goods (``catalog.money.split_allowance``).

    Lines priced with VAT included (``unit_gross_amount`` set) go by ``_gross_totals``."""
    if any(line.unit_gross_amount is not None for line in lines):
        return _gross_totals(
            lines=lines,
            discount_percent=discount_percent,
            discount_fixed_amount=discount_fixed_amount,
            shipping_amount=shipping_amount,
            shipping_tax_rate=shipping_tax_rate,
        )
    subtotal = sum((line.line_total_amount for line in lines), ZERO)
    by_rate = vat_breakdown((line.tax_rate, line.line_total_amount) for line in lines)
    fixed = (
        split_allowance(discount_fixed_amount, {r: b for r, (b, _v) in by_rate.items()})
        if discount_fixed_amount
        else {}
    )
    discount = ZERO
    taxable: list[tuple[Decimal, Decimal]] = []
    for rate, (basis, _vat) in by_rate.items():
        allowance = fixed[rate] if fixed else quantize(basis * discount_percent / HUNDRED)
        discount += allowance
        taxable.append((rate, basis - allowance))
    if shipping_amount:
        taxable.append((shipping_tax_rate, shipping_amount))
    breakdown = vat_breakdown(taxable)
    tax = sum((vat for _basis, vat in breakdown.values()), ZERO)
    total = subtotal - discount + shipping_amount + tax
    return {
        "subtotal_amount": subtotal,
        "discount_amount": discount,
        "shipping_amount": shipping_amount,
        "tax_amount": tax,
        "total_amount": total,
        **_stored_figures(breakdown, discount_percent=discount_percent, fixed=bool(discount_fixed_amount)),
    }


def _stored_figures(breakdown: dict, *, discount_percent: Decimal, fixed: bool, gross: bool = False) -> dict:
    """What the order keeps besides its totals: the VAT per rate, the mode, the discount percentage
    (0 for a fixed-amount discount, or for a percentage with more than two decimals)."""
    percent = ZERO if fixed else Decimal(discount_percent or 0)
    return {
        "vat_breakdown": breakdown_rows(breakdown),
        "prices_include_tax": gross,
        "discount_percent": percent if percent == quantize(percent) else ZERO,
    }


def _gross_totals(
    *,
    lines: Sequence[OrderLine],
    discount_percent: Decimal,
    discount_fixed_amount: Decimal,
    shipping_amount: Decimal,
    shipping_tax_rate: Decimal,
) -> dict:
    """Totals when the prices include VAT: the gross total is what the customer saw (quantity ×
    gross price, less the discount, plus shipping with its VAT), VAT per rate is the rate's gross
    less its net basis (``catalog.money.gross_totals``, which explains the rounding). The line
    nets are set here, on the lines, so that each rate's add up to its basis."""
    figures = gross_totals(
        lines=[
            (
                line.tax_rate,
                line.quantity
                * (
                    line.unit_gross_amount
                    if line.unit_gross_amount is not None
                    else gross_from_net(line.unit_price_amount, line.tax_rate)
                ),
            )
            for line in lines
        ],
        discount_percent=Decimal(discount_percent or 0),
        discount_fixed_amount=discount_fixed_amount,
        shipping_amount=shipping_amount,
        shipping_tax_rate=shipping_tax_rate,
    )
    for line, net in zip(lines, figures["line_nets"], strict=True):
        line.line_total_amount = net
    return {
        "subtotal_amount": figures["subtotal_amount"],
        "discount_amount": figures["discount_amount"],
        "shipping_amount": shipping_amount,
        "tax_amount": figures["tax_amount"],
        "total_amount": figures["total_amount"],
        **_stored_figures(
            figures["breakdown"], discount_percent=discount_percent, fixed=bool(discount_fixed_amount), gross=True
        ),
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
    discount_code: str = "",
    external_reference: str = "",
    notes: str = "",
    payment_choice: str = PaymentChoice.NOT_GIVEN,
    by=None,
) -> Order:
    """Place an order from any source: price it, reserve its stock, give it a number.

    All or nothing: a refusal (unknown item, no price, not enough stock) raises an
    ``OrderError`` or ``InsufficientStock`` and leaves no order and no reservation behind.
    A discount code is checked, and its use counted under the code's row lock
    (``catalog.services.redeem_discount_code``); a refused code raises ``InvalidOrder`` on the
    field ``discount_code``. A code and a manual discount do not combine.
    The number is ``ORDER_NUMBER_START + id``, so placing never waits on a counter row.
    ``payment_choice`` is how the customer said they would pay (``PaymentChoice``; "" when
    nobody said); paying at pickup needs a pickup location.
    """
    _check_payment_choice(payment_choice, pickup_location=pickup_location, customer=customer)
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
    quote = None
    if (discount_code or "").strip():
        check_discount_combination(discount_percent=discount_percent)
        quote = quote_discount_code(code=discount_code, channel=channel, email=email, lines=priced)
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
        discount_code=quote.code if quote else "",
        payment_choice=payment_choice or PaymentChoice.NOT_GIVEN,
        **compute_totals(
            lines=priced,
            discount_percent=quote.percent if quote else Decimal(discount_percent),
            discount_fixed_amount=quote.fixed_amount if quote else ZERO,
            shipping_amount=quantize(shipping_amount),
            shipping_tax_rate=shipping_tax_rate,
        ),
    )
    if external_reference:
        try:
            with transaction.atomic():  # a savepoint only where a twin can collide
                order.save()
        except IntegrityError as exc:  # a concurrent twin with the same external reference won
            existing = Order.objects.filter(channel=channel, external_reference=external_reference).first()
            if existing is None:
                raise
            raise DuplicateOrder(existing.number) from exc
    else:
        order.save()
    for line in priced:
        line.order = order
    OrderLine.objects.bulk_create(priced)
    if order.discount_code:
        _redeem_discount_code(order, by=by)
    return _finish_placing(order=order, lines=priced, by=by)


def _check_payment_choice(payment_choice: str, *, pickup_location: Location | None, customer: Customer | None) -> None:
    if (payment_choice or "") not in PaymentChoice.values:
        raise InvalidOrder(_("Choose a way to pay from the list."), field="payment_choice")
    if payment_choice == PaymentChoice.AT_PICKUP and pickup_location is None:
        raise InvalidOrder(_("Paying at pickup needs pickup at a store."), field="payment_choice")
    # On terms, billing issues the invoice at placement and never chases the order as unpaid:
    # without the customer's terms there would be neither an invoice nor a reminder.
    if payment_choice == PaymentChoice.ON_TERMS and (customer is None or customer.payment_terms_days is None):
        raise InvalidOrder(
            _("Paying on terms needs a customer with payment terms (set them on the customer)."),
            field="payment_choice",
        )


def check_discount_combination(*, discount_percent: Decimal) -> None:
    if Decimal(discount_percent or 0):
        raise InvalidOrder(
            _("A discount code and a manual discount do not combine: use one or the other."), field="discount_code"
        )


def quote_discount_code(*, code: str, channel: Channel, email: str, lines: Sequence[OrderLine]) -> DiscountQuote:
    """What the code takes off these priced lines; a refused code is an ``InvalidOrder`` on ``discount_code``."""
    subtotal = sum((line.line_total_amount for line in lines), ZERO)
    try:
        return check_discount_code(code=code, channel=channel, email=email, subtotal=subtotal)
    except DiscountCodeRefused as exc:
        raise InvalidOrder(exc.message, field="discount_code") from exc


def _redeem_discount_code(order: Order, *, by=None) -> None:
    """Count the order's use of its code (locking the code's row until commit) and note it on the timeline."""
    try:
        redeem_discount_code(
            code=order.discount_code,
            order_id=order.pk,
            channel=order.channel,
            email=order.email,
            subtotal=order.subtotal_amount,
            amount=order.discount_amount,
        )
    except DiscountCodeRefused as exc:
        raise InvalidOrder(exc.message, field="discount_code") from exc
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.NOTE,
        by=by,
        message=_("Discount code %(code)s used: %(amount)s %(currency)s off the goods.")
        % {"code": order.discount_code, "amount": order.discount_amount, "currency": order.currency},
    )


def _finish_placing(*, order: Order, lines: list[OrderLine], by=None) -> Order:
    """Number the order, move it to placed, then reserve its stock.

    The reservation comes last: the first guarded UPDATE locks a stock row until commit,
    and every other order for that SKU waits that long, so nothing else is written after it
    but the rare backorder quantities.
    """
    if not lines:
        raise InvalidOrder(_("Add at least one item to the order."), field="lines")
    order.number = str(settings.ORDER_NUMBER_START + order.pk)
    order.placed_at = timezone.now()
    placed = OrderEvent(
        order=order,
        kind=OrderEvent.Kind.PLACED,
        by=by,
        message=_("Placed on %(channel)s: %(count)s items, %(total)s %(currency)s.")
        % {
            "channel": order.channel.name,
            "count": sum(line.quantity for line in lines),
            "total": order.total_amount,
            "currency": order.currency,
        },
    )
    # Risk signals are read before any stock row is locked; the flag goes out with the status.
    reasons = list_risk_reasons(order=order)
    held = ()
    if reasons:
        order.needs_review = True
        order.review_reasons = reasons
        held = (
            OrderEvent(
                order=order,
                kind=OrderEvent.Kind.NOTE,
                by=by,
                message=_("Held for review: %(reasons)s") % {"reasons": " ".join(reasons)},
            ),
        )
    _move(
        order,
        to=OrderStatus.PLACED,
        by=by,
        also_save=("number", "placed_at", "needs_review", "review_reasons"),
        also_log=(placed, *held),
    )
    emit_order_webhook(order=order, event="order.placed", lines=lines)  # before the stock rows are locked
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
    if order.email:
        on_commit_or_log(send_order_email_task.delay, order_id=order.pk, kind="placed")  # else the beat sends it
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
    if order.discount_code:
        _redeem_discount_code(order, by=by)
    return _finish_placing(order=order, lines=list(order.lines.select_related("variant")), by=by)
