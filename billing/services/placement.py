"""Placing a staff-entered order and, for customers on payment terms, invoicing it at once."""

import logging

from django.db import transaction

from billing.exceptions import BillingError
from billing.services.invoices import issue_invoice_on_terms
from orders.models import Order
from orders.services import OrderEntry, place_entry_order

logger = logging.getLogger(__name__)


@transaction.atomic
def place_order_and_invoice_on_terms(*, entry: OrderEntry, draft: Order | None = None, by=None) -> Order:
    """Place the order; a wholesale customer on terms gets the invoice (with its due date) now.

    The order stands even when the invoice cannot be issued yet (the store's legal details
    are missing): the invoice can be issued from the order page once they are filled in.
    """
    order = place_entry_order(entry=entry, draft=draft, by=by)
    try:
        with transaction.atomic():
            issue_invoice_on_terms(order=order, by=by)
    except BillingError as exc:
        logger.warning("Invoice on terms for order %s not issued: %s", order.number, exc.message)
    return order
