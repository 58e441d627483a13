"""Billing refusals, each with a ``message`` a person can read (shown next to the form)."""


class BillingError(Exception):
    """A payment, refund or invoice was refused; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PaymentRefused(BillingError):
    pass


class RefundRefused(BillingError):
    pass


class RefundAboveLimit(RefundRefused):
    """A refund above the staff limit by someone without the permission: refused, and put on record."""


class InvoiceRefused(BillingError):
    """The invoice cannot be issued (missing store details, nothing to invoice…)."""
