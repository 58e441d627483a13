"""Billing's writes: payments, refunds, invoices and credit notes, their PDFs and e-mails.

Split by concern; import from ``billing.services``.
"""

from billing.services.invoices import (
    format_number,
    invoice_figures,
    issue_credit_note,
    issue_invoice,
    issue_invoice_on_terms,
)
from billing.services.payments import (
    money_totals,
    open_balance,
    record_payment,
    refund_payment,
    refundable_amount,
)

__all__ = [
    "format_number",
    "invoice_figures",
    "issue_credit_note",
    "issue_invoice",
    "issue_invoice_on_terms",
    "money_totals",
    "open_balance",
    "record_payment",
    "refund_payment",
    "refundable_amount",
]
