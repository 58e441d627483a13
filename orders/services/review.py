"""Holding risky orders for a person: the signals, the flag, and the approval.

An order with a risk signal is flagged ``needs_review`` with its reasons; shipping refuses
to create a shipment for it until someone approves it here.
"""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from catalog.models import StoreSettings
from orders.exceptions import OrderError
from orders.models import BlockedContact, Order, OrderEvent, normalise_contact
from orders.services._common import _event, _lock

FAILED_PAYMENTS_FOR_REVIEW = 3


def _address_keys(order: Order) -> list[str]:
    keys = []
    for address in (order.shipping_address or {}, order.billing_address or {}):
        if address.get("line1"):
            keys.append(normalise_contact(f"{address.get('line1', '')}, {address.get('postal_code', '')}"))
    return keys


def list_risk_reasons(*, order: Order) -> list[str]:
    """The risk signals an order shows now, as sentences for the person who reviews it."""
    reasons = []
    if (
        order.customer_id
        and order.total_amount > StoreSettings.load().review_first_order_above
        and not Order.objects.placed().filter(customer_id=order.customer_id).exclude(pk=order.pk).exists()
    ):
        reasons.append(
            _("First order of this customer, above %(limit)s %(currency)s.")
            % {"limit": StoreSettings.load().review_first_order_above, "currency": order.currency}
        )
    billing_country = (order.billing_address or {}).get("country", "").upper()
    shipping_country = (order.shipping_address or {}).get("country", "").upper()
    if billing_country and shipping_country and billing_country != shipping_country:
        reasons.append(
            _("Billing country %(billing)s differs from shipping country %(shipping)s.")
            % {"billing": billing_country, "shipping": shipping_country}
        )
    blocked = Q(kind=BlockedContact.Kind.ADDRESS, value__in=_address_keys(order))
    if order.email:
        blocked |= Q(kind=BlockedContact.Kind.EMAIL, value=normalise_contact(order.email))
    if BlockedContact.objects.filter(blocked).exists():
        reasons.append(_("The e-mail or an address is on the block list."))
    if order.pk and order.status != "draft":
        # Payments are billing's, read through the order's reverse relation. An order being
        # placed (still a draft here) has had no payment attempts yet.
        failed = order.payments.filter(status="failed").count()
        if failed >= FAILED_PAYMENTS_FOR_REVIEW:
            reasons.append(_("%(count)s failed payment attempts.") % {"count": failed})
    return reasons


@transaction.atomic
def review_order_risk(*, order: Order, by=None) -> Order:
    """Flag the order for review if it shows a risk signal it was not yet flagged for."""
    order = _lock(order)
    new = [reason for reason in list_risk_reasons(order=order) if reason not in order.review_reasons]
    if new:
        order.needs_review = True
        order.review_reasons = [*order.review_reasons, *new]
        order.save(update_fields=["needs_review", "review_reasons", "updated_at"])
        _event(
            order, OrderEvent.Kind.NOTE, by=by, message=_("Held for review: %(reasons)s") % {"reasons": " ".join(new)}
        )
    return order


@transaction.atomic
def approve_order_review(*, order: Order, by, note: str = "") -> Order:
    """A person looked at the risk signals and lets the order go on to be shipped."""
    order = _lock(order)
    if not order.needs_review:
        raise OrderError(_("Order %(number)s is not held for review.") % {"number": order})
    reasons = " ".join(order.review_reasons)
    order.needs_review = False
    order.review_reasons = []
    order.save(update_fields=["needs_review", "review_reasons", "updated_at"])
    _event(
        order,
        OrderEvent.Kind.NOTE,
        by=by,
        message=_("Review approved (%(reasons)s). %(note)s") % {"reasons": reasons, "note": note.strip()},
    )
    return order
