"""Editing a placed order: lines, quantities, delivery — with its stock and money kept straight.

What merchants keep asking for and most shops refuse: the customer calls back to add a mug
or drop a shirt. The edit is all or nothing. Stock of every changed line is released and
reserved again through the inventory services, so a shortage refuses the whole edit with
the short SKUs named and leaves the order, its lines and the stock as they were. Totals are
recomputed with the same rules as at placement, and the difference against what was paid is
returned as a balance due or a refund owed; settling it is billing's work.

An already issued invoice no longer matches the order after an edit. Billing corrects it
with a credit note and a new invoice; this service calls nothing in billing (orders sits
below billing) and only reports ``invoice_needs_correction`` and writes it on the timeline.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from catalog.money import HUNDRED, ZERO, line_net, quantize
from inventory.models import MovementKind, StockMovement
from inventory.services import ReservationRequest, release_reservations, reserve_stock
from orders.exceptions import InvalidOrder, InvalidTransition
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services._common import _event, _lock
from orders.services.placement import LineInput, _price_lines, compute_totals
from orders.services.status import sync_fulfilment_status, sync_payment_status

EDITABLE_STATUSES = (OrderStatus.PLACED, OrderStatus.PROCESSING)
# Shipping sits above orders, so its status values are named, not imported.
RETURNED_SHIPMENT_STATUSES = ("returned",)
_UNCHANGED = object()


@dataclass
class OrderChanges:
    """What the edit asks for. ``quantities`` maps a line id to its new quantity (0 removes it)."""

    quantities: dict[int, int] = field(default_factory=dict)
    add: Sequence[LineInput] = ()
    shipping_address: dict | None = None
    shipping_method: object = _UNCHANGED
    shipping_amount: Decimal | None = None


@dataclass(frozen=True)
class EditResult:
    order: Order
    changed: bool
    old_total: Decimal
    balance: Decimal  # total less what was paid net of refunds: > 0 due, < 0 refund owed
    invoice_needs_correction: bool

    @property
    def balance_due(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def refund_owed(self) -> Decimal:
        return max(-self.balance, ZERO)


def current_discount_percent(*, order: Order) -> Decimal:
    """The order keeps its discount as an amount; the edit keeps the same percentage of the goods."""
    if not order.subtotal_amount or not order.discount_amount:
        return ZERO
    return (order.discount_amount * HUNDRED / order.subtotal_amount).quantize(Decimal("0.0001"))


def shipped_quantities(*, order: Order) -> dict[int, int]:
    """Units per line that are in a shipment (not returned) or have left the shelf already.

    These cannot be taken off the order any more: whichever is higher counts.
    """
    in_shipments = dict(
        order.lines.annotate(
            n=Sum(
                "shipment_lines__quantity", filter=~Q(shipment_lines__shipment__status__in=RETURNED_SHIPMENT_STATUSES)
            )
        )
        .filter(n__gt=0)
        .values_list("pk", "n")
    )
    consumed = dict(
        StockMovement.objects.filter(order_line__order=order, kind=MovementKind.SALE)
        .values("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    result: dict[int, int] = {}
    for line_id in set(in_shipments) | set(consumed):
        result[line_id] = max(in_shipments.get(line_id) or 0, -(consumed.get(line_id) or 0))
    return result


def _paid_net(order: Order) -> Decimal:
    sums = {
        row["kind"]: row["total"] or ZERO
        for row in order.payments.filter(status="verified").values("kind").annotate(total=Sum("amount"))
    }
    return sums.get("payment", ZERO) - sums.get("refund", ZERO)


@transaction.atomic
def edit_order_lines(*, order: Order, changes: OrderChanges, by) -> EditResult:
    """Apply ``changes`` to a placed or processing order, all or nothing.

    Refused (``InvalidTransition``) on drafts, completed and cancelled orders; refused
    (``InvalidOrder``) when a quantity would fall below what has shipped; refused
    (``InsufficientStock``, every short SKU named) when the new quantities cannot be
    reserved. A refusal rolls back everything.
    """
    order = _lock(order)
    if order.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            _("Order %(number)s is %(status)s and can no longer be edited.")
            % {"number": order, "status": order.get_status_display()}
        )
    old_total = order.total_amount
    # The percentage the order was placed with; older orders (or a fixed discount) recover it.
    discount_percent = order.discount_percent or current_discount_percent(order=order)
    # A fixed-amount code keeps its amount (at most the new goods), not its share of the goods.
    discount_fixed = order.discount_amount if order.discount_code and not order.discount_percent else ZERO
    if discount_fixed:
        discount_percent = ZERO
    lines = {line.pk: line for line in order.lines.select_related("variant")}
    shipped = shipped_quantities(order=order)
    messages: list[str] = []

    # Existing lines: new quantities, checked against what has shipped.
    changed_lines: dict[int, int] = {}
    below: list[str] = []
    for line_id, quantity in changes.quantities.items():
        line = lines.get(int(line_id))
        if line is None:
            raise InvalidOrder(_("That line is not on order %(number)s.") % {"number": order}, field="lines")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise InvalidOrder(_("%(sku)s: the quantity must be zero or more.") % {"sku": line.sku}, field="lines")
        if quantity == line.quantity:
            continue
        if quantity < shipped.get(line.pk, 0):
            below.append(_("%(sku)s (%(shipped)s shipped)") % {"sku": line.sku, "shipped": shipped.get(line.pk, 0)})
            continue
        changed_lines[line.pk] = quantity
    if below:
        raise InvalidOrder(
            _("Shipped quantities cannot be taken off the order: %(lines)s.") % {"lines": ", ".join(below)},
            field="lines",
        )

    # New lines: an item already on the order adds to its line; the rest are priced as at placement.
    new_inputs: list[LineInput] = []
    by_variant = {line.variant_id: line for line in lines.values() if line.variant_id}
    for add in changes.add:
        existing = by_variant.get(add.variant.pk)
        if existing is not None:
            base = changed_lines.get(existing.pk, existing.quantity)
            changed_lines[existing.pk] = base + add.quantity
        else:
            new_inputs.append(add)
    new_lines = _price_lines(channel=order.channel, lines=new_inputs, customer=order.customer) if new_inputs else []

    # Stock: release what the changed lines hold, reserve the new unshipped quantities at once.
    if changed_lines:
        release_reservations(order_line_ids=list(changed_lines))
    for line in new_lines:
        line.order = order
    OrderLine.objects.bulk_create(new_lines)
    requests = []
    for line_id, quantity in changed_lines.items():
        line = lines[line_id]
        open_quantity = quantity - shipped.get(line_id, 0)
        if open_quantity > 0:
            requests.append(
                ReservationRequest(
                    order_line_id=line_id,
                    variant_id=line.variant_id,
                    sku=line.sku,
                    quantity=open_quantity,
                    allow_backorder=bool(line.variant and line.variant.allow_backorder),
                )
            )
    for line in new_lines:
        requests.append(
            ReservationRequest(
                order_line_id=line.pk,
                variant_id=line.variant_id,
                sku=line.sku,
                quantity=line.quantity,
                allow_backorder=line.variant.allow_backorder,
            )
        )
    backordered = (
        reserve_stock(
            requests=requests,
            location_ids=list(order.channel.locations.filter(is_active=True).values_list("pk", flat=True)),
        )
        if requests
        else {}
    )

    # Lines: write the new quantities, drop the removed ones, and say so line by line.
    for line_id, quantity in changed_lines.items():
        line = lines[line_id]
        if quantity == 0:
            messages.append(_("Removed %(sku)s (was %(old)s).") % {"sku": line.sku, "old": line.quantity})
            line.delete()
            del lines[line_id]
            continue
        messages.append(
            _("%(sku)s: quantity %(old)s → %(new)s.") % {"sku": line.sku, "old": line.quantity, "new": quantity}
        )
        line.quantity = quantity
        line.quantity_backordered = backordered.get(line_id, 0)
        line.line_total_amount = line_net(unit_price=line.unit_price_amount, quantity=quantity)
        line.save(update_fields=["quantity", "quantity_backordered", "line_total_amount"])
    for line in new_lines:
        if backordered.get(line.pk):
            line.quantity_backordered = backordered[line.pk]
            line.save(update_fields=["quantity_backordered"])
        lines[line.pk] = line
        messages.append(
            _("Added %(quantity)s × %(sku)s at %(price)s.")
            % {"quantity": line.quantity, "sku": line.sku, "price": line.unit_price_amount}
        )
    if not lines:
        raise InvalidOrder(_("An order needs at least one line; cancel it instead."), field="lines")

    # Delivery.
    if changes.shipping_address is not None and changes.shipping_address != order.shipping_address:
        order.shipping_address = changes.shipping_address
        messages.append(_("Shipping address changed."))
    if changes.shipping_method is not _UNCHANGED and changes.shipping_method != order.shipping_method:
        old_name = order.shipping_method.name if order.shipping_method else _("none")
        new_name = changes.shipping_method.name if changes.shipping_method else _("none")
        order.shipping_method = changes.shipping_method
        messages.append(_("Shipping method %(old)s → %(new)s.") % {"old": old_name, "new": new_name})
    if changes.shipping_amount is not None and quantize(changes.shipping_amount) != order.shipping_amount:
        if changes.shipping_amount < 0:
            raise InvalidOrder(_("The shipping price cannot be negative."), field="shipping_amount")
        messages.append(
            _("Shipping %(old)s → %(new)s.") % {"old": order.shipping_amount, "new": quantize(changes.shipping_amount)}
        )
        order.shipping_amount = quantize(changes.shipping_amount)

    if not messages:
        return EditResult(
            order=order,
            changed=False,
            old_total=old_total,
            balance=order.total_amount - _paid_net(order),
            invoice_needs_correction=False,
        )

    totals = compute_totals(
        lines=list(lines.values()),
        discount_percent=discount_percent,
        discount_fixed_amount=discount_fixed,
        shipping_amount=order.shipping_amount,
        shipping_tax_rate=order.shipping_tax_rate,
    )
    for name, value in totals.items():
        setattr(order, name, value)
    order.save()
    if order.prices_include_tax:  # compute_totals shared each rate's net out over its lines again
        OrderLine.objects.bulk_update(list(lines.values()), ["line_total_amount"])
    for message in messages:
        _event(order, OrderEvent.Kind.EDITED, by=by, message=_("Edited: %(change)s") % {"change": message})
    balance = order.total_amount - _paid_net(order)
    summary = _("Total %(old)s → %(new)s %(currency)s.") % {
        "old": old_total,
        "new": order.total_amount,
        "currency": order.currency,
    }
    if balance > 0:
        summary += " " + _("Balance due: %(amount)s.") % {"amount": balance}
    elif balance < 0:
        summary += " " + _("Refund owed: %(amount)s.") % {"amount": -balance}
    _event(order, OrderEvent.Kind.EDITED, by=by, message=_("Edited: %(change)s") % {"change": summary})
    invoice_needs_correction = order.invoices.exists()
    if invoice_needs_correction:
        # Hook for billing: the issued invoice no longer matches; billing issues a credit note
        # and a new invoice. Orders sits below billing, so it only records the need.
        _event(
            order,
            OrderEvent.Kind.NOTE,
            by=by,
            message=_(
                "The issued invoice no longer matches the order: correct it with a credit note and a new invoice."
            ),
        )
    order = sync_payment_status(order=order, by=by)
    order = sync_fulfilment_status(order=order, by=by)
    return EditResult(
        order=order,
        changed=True,
        old_total=old_total,
        balance=balance,
        invoice_needs_correction=invoice_needs_correction,
    )
