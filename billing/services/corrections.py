"""Editing an invoiced order: the issued invoice is corrected by a credit note and a new one."""

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.services.invoices import issue_credit_note, issue_invoice, open_invoice
from orders.models import Order
from orders.services import EditResult, OrderChanges, edit_order_lines


@transaction.atomic
def correct_invoice_after_edit(*, order: Order, by=None) -> Invoice | None:
    """Credit the standing invoice in full and issue a new one with the order as it is now.

    Nothing happens when the order has no standing invoice or its total did not change.
    Issued invoices are never altered: the history stays readable for the accountant.
    """
    invoice = open_invoice(order=order)
    order.refresh_from_db()
    if invoice is None or invoice.total_amount == order.total_amount:
        return None
    issue_credit_note(
        invoice=invoice,
        amount=invoice.total_amount,
        reason=_("Order %(number)s was edited; replaced by a new invoice.") % {"number": order.number},
        by=by,
    )
    return issue_invoice(order=order, by=by)


@transaction.atomic
def edit_order_and_correct_invoice(*, order: Order, changes: OrderChanges, by) -> EditResult:
    """Edit a placed order and, if it was invoiced, correct the invoice in the same transaction."""
    result = edit_order_lines(order=order, changes=changes, by=by)
    if result.changed and result.invoice_needs_correction:
        correct_invoice_after_edit(order=result.order, by=by)
    return result
