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
