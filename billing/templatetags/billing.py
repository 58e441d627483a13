"""``{% billing_figures order as figures %}``: paid, refunded and balance due of an order.

Summed in Python over ``order.payments.all`` so that a page that prefetched the payments
pays no extra query (the order detail includes the billing panel this way).
"""

from django import template

from catalog.money import ZERO

register = template.Library()


@register.simple_tag
def billing_figures(order) -> dict:
    paid = refunded = ZERO
    for payment in order.payments.all():
        if payment.status != "verified":
            continue
        if payment.kind == "refund":
            refunded += payment.amount
        else:
            paid += payment.amount
    return {
        "paid": paid,
        "refunded": refunded,
        "balance": max(order.total_amount - paid, ZERO),
        "refundable": max(paid - refunded, ZERO),
    }


@register.simple_tag
def invoice_blocker() -> str:
    """Why an invoice cannot be issued now (the store settings an EN 16931 invoice needs), or "".

    One query; the order panel asks only for a paid order that has no invoice."""
    from django.utils.translation import gettext as _

    from billing.services.facturx import einvoice_missing_fields
    from catalog.models import StoreSettings

    missing = einvoice_missing_fields(StoreSettings.load())
    if not missing:
        return ""
    return _("Invoices cannot be issued until the store settings have the %(fields)s.") % {"fields": ", ".join(missing)}
