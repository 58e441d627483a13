"""Money in and out: payments verified against the open balance, refunds within limits.

Both lock the order row first, so two clerks taking the same balance at once cannot
overpay it; the order's payment status is then recomputed by ``orders`` (the higher app
calls the lower one), and the documents follow: an invoice once paid, a credit note per
refund.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.exceptions import BillingError, PaymentRefused, RefundAboveLimit, RefundRefused
from billing.models import Invoice, Payment, PaymentKind, PaymentMethod, PaymentStatus
from catalog.models import StoreSettings
from catalog.money import ZERO, quantize
from orders.models import Order, OrderEvent, OrderStatus
from orders.models import PaymentStatus as OrderPaymentStatus
from orders.services import review_order_risk, sync_payment_status

# Methods whose money arrives with something to check it against.
REFERENCE_REQUIRED = frozenset({PaymentMethod.ONLINE})


def _amount(value, *, field_label: str, error=PaymentRefused) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise error(_("%(field)s is not an amount.") % {"field": field_label}) from None
    if not amount.is_finite() or amount <= 0:
        raise error(_("%(field)s must be more than zero.") % {"field": field_label})
    if amount != quantize(amount):
        raise error(_("%(field)s has more than two decimals.") % {"field": field_label})
    return amount


def money_totals(*, order: Order) -> dict[str, Decimal]:
    """Verified payments and refunds of an order, summed in SQL.

    Quantized: SQLite sums decimals as floats, and ``93.8900000000000`` would reach the
    refund and payment forms as their initial amount."""
    sums = {
        row["kind"]: quantize(row["total"] or ZERO)
        for row in order.payments.filter(status=PaymentStatus.VERIFIED).values("kind").annotate(total=Sum("amount"))
    }
    return {"paid": sums.get(PaymentKind.PAYMENT, ZERO), "refunded": sums.get(PaymentKind.REFUND, ZERO)}


def open_balance(*, order: Order) -> Decimal:
    """What the customer still owes: the total less what was paid (refunds do not reopen it)."""
    return max(order.total_amount - money_totals(order=order)["paid"], ZERO)


def refundable_amount(*, order: Order) -> Decimal:
    totals = money_totals(order=order)
    return max(totals["paid"] - totals["refunded"], ZERO)


@transaction.atomic
def record_payment(
    *,
    order: Order,
    method: str,
    amount: Decimal,
    currency: str,
    reference: str = "",
    by,
    cash_tendered: Decimal | None = None,
    provider: str = "",
    provider_payment_id: str = "",
) -> Payment:
    """Record money received for an order, verified against its open balance.

    The currency must be the order's; partial payments add up; more than the open
    balance is refused, except in cash, where the excess is the change handed back (the
    payment records the amount applied, the cash tendered and the change). When the
    order becomes paid in full its invoice is issued, unless one exists.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELLED):
        raise PaymentRefused(
            _("Order %(number)s is %(status)s and cannot take a payment.")
            % {"number": order, "status": order.get_status_display()}
        )
    if method not in PaymentMethod.values:
        raise PaymentRefused(_("Choose how the customer paid."))
    amount = _amount(amount, field_label=_("The amount"))
    if (currency or "").upper() != order.currency:
        raise PaymentRefused(
            _("This order is in %(order_currency)s; a payment in %(currency)s cannot be recorded against it.")
            % {"order_currency": order.currency, "currency": currency or "?"}
        )
    reference = (reference or "").strip()
    if method in REFERENCE_REQUIRED and not reference:
        raise PaymentRefused(_("An online payment needs the provider's reference."))
    balance = open_balance(order=order)
    if balance <= 0:
        raise PaymentRefused(_("Order %(number)s is already paid in full.") % {"number": order})

    tendered = None
    change = ZERO
    if method == PaymentMethod.CASH:
        tendered = amount if cash_tendered in (None, "") else _amount(cash_tendered, field_label=_("Cash tendered"))
        applied = min(amount, balance)
        if tendered < applied:
            raise PaymentRefused(
                _("The cash tendered (%(tendered)s) is less than the amount paid (%(amount)s).")
                % {"tendered": tendered, "amount": applied}
            )
        change = tendered - applied
        amount = applied
    else:
        if cash_tendered not in (None, ""):
            raise PaymentRefused(_("Cash tendered only applies to cash payments."))
        if amount > balance:
            raise PaymentRefused(
                _("%(amount)s %(currency)s is more than the open balance of %(balance)s %(currency)s.")
                % {"amount": amount, "balance": balance, "currency": order.currency}
            )

    payment = Payment.objects.create(
        order=order,
        kind=PaymentKind.PAYMENT,
        method=method,
        status=PaymentStatus.VERIFIED,
        amount=amount,
        currency=order.currency,
        reference=reference,
        tendered_amount=tendered,
        change_amount=change,
        provider=provider,
        provider_payment_id=provider_payment_id,
        recorded_by=by,
    )
    order = sync_payment_status(order=order, by=by)
    if (
        order.payment_status == OrderPaymentStatus.PAID
        and not order.invoices.filter(kind=Invoice.Kind.INVOICE).exists()
    ):
        _issue_quietly(order=order, by=by)
    return payment


def _issue_quietly(*, order: Order, by) -> None:
    """Issue the invoice of a paid order; a refusal (store details missing) must not undo the
    payment the customer has made, so it is logged and the invoice can be issued later."""
    from billing.services.invoices import issue_invoice

    try:
        issue_invoice(order=order, by=by)
    except BillingError as exc:
        import logging

        logging.getLogger(__name__).warning("Invoice for order %s not issued: %s", order.number, exc.message)


def refund_payment(*, order: Order, amount: Decimal, reason: str, by, method: str | None = None) -> Payment:
    """Give money back (full or partial, with a reason) and issue the credit note.

    Staff may refund up to the store's limit; above it only a user holding
    ``billing.refund_above_limit`` (the Owner). Such an attempt is refused and put on record:
    a note on the order's timeline (who, how much, why refused) and a warning in the log, both
    written after the refused transaction has rolled back. The refund goes back by the method
    of the latest payment unless another is named.
    """
    try:
        return _refund_payment(order=order, amount=amount, reason=reason, by=by, method=method)
    except RefundAboveLimit as exc:
        _record_refused_refund(order=order, amount=amount, reason=reason, by=by, refusal=exc.message)
        raise


def _record_refused_refund(*, order: Order, amount, reason: str, by, refusal: str) -> None:
    import logging

    message = _("Refund of %(amount)s %(currency)s refused: %(refusal)s (reason given: %(reason)s)") % {
        "amount": amount,
        "currency": order.currency,
        "refusal": refusal,
        "reason": (reason or "").strip(),
    }
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, by=by, message=message)
    logging.getLogger(__name__).warning(
        "Refund of %s %s on order %s by %s refused: %s", amount, order.currency, order.number, by, refusal
    )


@transaction.atomic
def _refund_payment(*, order: Order, amount: Decimal, reason: str, by, method: str | None) -> Payment:
    order = Order.objects.select_for_update().get(pk=order.pk)
    amount = _amount(amount, field_label=_("The refund"), error=RefundRefused)
    reason = (reason or "").strip()
    if not reason:
        raise RefundRefused(_("Give a reason for the refund."))
    refundable = refundable_amount(order=order)
    if refundable <= 0:
        raise RefundRefused(_("Order %(number)s has no payment to refund.") % {"number": order})
    if amount > refundable:
        raise RefundRefused(
            _("At most %(max)s %(currency)s can be refunded on order %(number)s.")
            % {"max": refundable, "currency": order.currency, "number": order}
        )
    limit = StoreSettings.load().staff_refund_limit
    if amount > limit and not (by is not None and by.has_perm("billing.refund_above_limit")):
        raise RefundAboveLimit(
            _("Refunds above %(limit)s %(currency)s need the Owner.") % {"limit": limit, "currency": order.currency}
        )
    if method is None:
        last = order.payments.filter(kind=PaymentKind.PAYMENT, status=PaymentStatus.VERIFIED).first()
        method = last.method if last else PaymentMethod.BANK_TRANSFER
    elif method not in PaymentMethod.values:
        raise RefundRefused(_("Choose how the money goes back."))
    refund = Payment.objects.create(
        order=order,
        kind=PaymentKind.REFUND,
        method=method,
        status=PaymentStatus.VERIFIED,
        amount=amount,
        currency=order.currency,
        reason=reason,
        recorded_by=by,
    )
    sync_payment_status(order=order, by=by)
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).order_by("-issued_at", "-id").first()
    if invoice is not None:
        from billing.services.invoices import issue_credit_note

        try:
            issue_credit_note(invoice=invoice, amount=amount, reason=reason, by=by)
        except BillingError as exc:
            import logging

            logging.getLogger(__name__).warning("Credit note for order %s not issued: %s", order.number, exc.message)
    return refund


def confirm_provider_payment(*, confirmation) -> tuple[Payment | None, bool]:
    """Record a provider's confirmed payment once per provider payment id.

    Returns ``(payment, created)``; a repeated confirmation returns the first payment and
    ``created=False``. A failed attempt is kept as a ``FAILED`` payment (it does not count
    toward the balance; several of them are a risk signal). Raises ``BillingError`` when the
    payment does not check out (unknown order, wrong currency, above the balance).
    """
    from django.db import IntegrityError

    existing = Payment.objects.filter(
        provider=confirmation.provider, provider_payment_id=confirmation.payment_id
    ).first()
    if existing is not None:
        return existing, False
    order = Order.objects.filter(number=confirmation.order_number).first()
    if order is None:
        raise PaymentRefused(_("No order with number %(number)s.") % {"number": confirmation.order_number})
    try:
        with transaction.atomic():
            if not confirmation.succeeded:
                amount = _amount(confirmation.amount, field_label=_("The amount"))
                payment = Payment.objects.create(
                    order=order,
                    kind=PaymentKind.PAYMENT,
                    method=PaymentMethod.ONLINE,
                    status=PaymentStatus.FAILED,
                    amount=amount,
                    currency=confirmation.currency,
                    reference=confirmation.payment_id,
                    provider=confirmation.provider,
                    provider_payment_id=confirmation.payment_id,
                )
                review_order_risk(order=order)  # several failed attempts hold the order
                return payment, True
            payment = record_payment(
                order=order,
                method=PaymentMethod.ONLINE,
                amount=confirmation.amount,
                currency=confirmation.currency,
                reference=confirmation.payment_id,
                provider=confirmation.provider,
                provider_payment_id=confirmation.payment_id,
                by=None,
            )
    except IntegrityError:  # the same confirmation, delivered twice at once
        return Payment.objects.get(provider=confirmation.provider, provider_payment_id=confirmation.payment_id), False
    return payment, True
