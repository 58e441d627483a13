"""Billing's writes: payments, refunds, invoices and credit notes, their PDFs and e-mails.

Split by concern; import from ``billing.services``.
"""

from billing.services.bulk import open_bulk_result, run_invoice_bulk_job, start_invoice_bulk_job
from billing.services.corrections import correct_invoice_after_edit, edit_order_and_correct_invoice
from billing.services.documents import build_invoice_pdf, build_receipt_pdf, render_invoice_pdf
from billing.services.emails import (
    list_overdue_invoice_emails,
    resend_invoice_email,
    resend_overdue_invoice_emails,
    send_invoice_email,
)
from billing.services.invoices import (
    format_number,
    invoice_figures,
    issue_credit_note,
    issue_invoice,
    issue_invoice_on_terms,
    open_invoice,
)
from billing.services.payments import (
    confirm_provider_payment,
    money_totals,
    open_balance,
    record_payment,
    refund_payment,
    refundable_amount,
)
from billing.services.placement import place_order_and_invoice_on_terms
from billing.services.unpaid import process_unpaid_orders, send_payment_reminder

__all__ = [
    "build_invoice_pdf",
    "build_receipt_pdf",
    "confirm_provider_payment",
    "correct_invoice_after_edit",
    "edit_order_and_correct_invoice",
    "format_number",
    "invoice_figures",
    "issue_credit_note",
    "issue_invoice",
    "issue_invoice_on_terms",
    "list_overdue_invoice_emails",
    "money_totals",
    "open_balance",
    "open_bulk_result",
    "open_invoice",
    "place_order_and_invoice_on_terms",
    "process_unpaid_orders",
    "record_payment",
    "refund_payment",
    "refundable_amount",
    "render_invoice_pdf",
    "resend_invoice_email",
    "resend_overdue_invoice_emails",
    "run_invoice_bulk_job",
    "send_invoice_email",
    "send_payment_reminder",
    "start_invoice_bulk_job",
]
