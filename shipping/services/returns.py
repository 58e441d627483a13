"""Returns: delivered goods coming back, to the shelf or to damaged goods, through the inventory services."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import HUNDRED, quantize
from inventory.models import Location, LocationKind
from inventory.services import return_to_stock
from orders.models import Order, OrderEvent, OrderLine
from orders.services import DELIVERED_STATUSES
from shipping.exceptions import ShippingError
from shipping.models import Return, ReturnCondition, ReturnLine, ReturnReason, ReturnStatus, ShipmentLine


def returnable_quantities(*, order: Order) -> dict[int, int]:
    """Per order line id: units delivered (or picked up) minus units already in a return."""
    delivered = dict(
        ShipmentLine.objects.filter(order_line__order=order, shipment__status__in=DELIVERED_STATUSES)
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    returned = dict(
        ReturnLine.objects.filter(order_line__order=order)
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    return {line_id: qty - returned.get(line_id, 0) for line_id, qty in delivered.items()}


@transaction.atomic
def create_return(
    *,
    order: Order,
    lines: Sequence[tuple[OrderLine, int, str]],
    reason: str,
    note: str = "",
    by=None,
) -> Return:
    """Record what the customer sends back: only delivered units, never more than are left to return."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if reason not in ReturnReason.values:
        raise ShippingError(_("Choose a reason."), field="reason")
    wanted: dict[int, tuple[int, str]] = {}
    for order_line, quantity, condition in lines:
        if order_line.order_id != order.pk:
            raise ShippingError(_("A line of another order was given."))
        if condition not in ReturnCondition.values:
            raise ShippingError(_("Unknown condition."))
        if quantity < 0:
            raise ShippingError(_("Quantities cannot be negative."))
        if quantity:
            wanted[order_line.pk] = (quantity, condition)
    if not wanted:
        raise ShippingError(_("Choose at least one item coming back."), field="lines")
    left = returnable_quantities(order=order)
    skus = dict(order.lines.values_list("pk", "sku"))
    for line_id, (quantity, _condition) in wanted.items():
        if quantity > left.get(line_id, 0):
            raise ShippingError(
                _("%(sku)s: %(quantity)s to return, but only %(left)s delivered and not yet returned.")
                % {"sku": skus.get(line_id, "?"), "quantity": quantity, "left": left.get(line_id, 0)},
                field="lines",
            )
    return_request = Return.objects.create(order=order, reason=reason, note=note.strip()[:300], created_by=by)
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(return_request=return_request, order_line_id=line_id, quantity=q, condition=c)
            for line_id, (q, c) in sorted(wanted.items())
        ]
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.SHIPMENT,
        by=by,
        message=_("Return %(id)s recorded: %(units)s units, %(reason)s.")
        % {
            "id": return_request.pk,
            "units": sum(q for q, _c in wanted.values()),
            "reason": return_request.get_reason_display(),
        },
    )
    return return_request


def default_damaged_location() -> Location | None:
    return Location.objects.filter(kind=LocationKind.DAMAGED, is_active=True).order_by("priority", "pk").first()


@transaction.atomic
def receive_return(
    *, return_request: Return, location: Location, damaged_location: Location | None = None, by=None
) -> Return:
    """The parcel is back: sellable units go on ``location``'s shelf, damaged ones to the damaged-goods location.

    Each unit is booked as a RETURN movement in the ledger; a second receipt is refused.
    """
    return_request = Return.objects.select_for_update().select_related("order").get(pk=return_request.pk)
    if return_request.status != ReturnStatus.REQUESTED:
        raise ShippingError(_("Return %(id)s has already been received.") % {"id": return_request.pk})
    lines = list(return_request.lines.select_related("order_line__variant").order_by("order_line_id"))
    if any(line.condition == ReturnCondition.DAMAGED for line in lines):
        damaged_location = damaged_location or default_damaged_location()
        if damaged_location is None:
            raise ShippingError(_("There is no damaged-goods location to put the damaged items in."), field="location")
    for line in lines:
        variant = line.order_line.variant
        if variant is None:
            raise ShippingError(_("%(sku)s no longer exists in the catalogue.") % {"sku": line.order_line.sku})
        target = location if line.condition == ReturnCondition.SELLABLE else damaged_location
        return_to_stock(
            variant=variant,
            location=target,
            quantity=line.quantity,
            by=by,
            reason=_("Return %(id)s: %(reason)s")
            % {"id": return_request.pk, "reason": return_request.get_reason_display()},
            order_line_id=line.order_line_id,
        )
    return_request.status = ReturnStatus.RECEIVED
    return_request.received_at = timezone.now()
    return_request.save(update_fields=["status", "received_at"])
    OrderEvent.objects.create(
        order=return_request.order,
        kind=OrderEvent.Kind.STOCK,
        by=by,
        message=_("Return %(id)s received: %(units)s units back.")
        % {"id": return_request.pk, "units": sum(line.quantity for line in lines)},
    )
    return return_request


def suggested_refund_amount(*, return_request: Return) -> Decimal:
    """The gross value of the returned units at the prices sold, for the refund form (shipping not included)."""
    total = Decimal("0")
    for line in return_request.lines.select_related("order_line"):
        ol = line.order_line
        total += ol.unit_price_amount * line.quantity * (1 + ol.tax_rate / HUNDRED)
    return quantize(total)
