"""The counter sale: placed, paid and handed over in one go, or not at all.

A customer at the shop counter pays and walks out with the goods. That is three services of
three apps — ``orders`` places the order (reserving the shop's stock), ``billing`` records
the payment (cash with change, or the card terminal's reference), ``shipping`` hands the
goods over (the stock leaves the shelf, the order is completed). Shipping is the highest
app the sale touches, so the composition lives here, in one transaction: if the card is
refused, the stock is short or the order needs review, nothing is left behind.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from billing.models import Payment
from billing.services import record_payment
from inventory.models import Location
from orders.models import Order
from orders.services import OrderEntry, place_entry_order
from shipping.models import Shipment
from shipping.services.fulfilment import hand_over_at_counter


@dataclass(frozen=True)
class CounterSale:
    order: Order
    payment: Payment
    shipment: Shipment

    @property
    def change_due(self) -> Decimal:
        return self.payment.change_amount or Decimal("0.00")


@transaction.atomic
def complete_counter_sale(
    *,
    entry: OrderEntry,
    location: Location,
    payment_method: str,
    reference: str = "",
    cash_tendered: Decimal | None = None,
    draft: Order | None = None,
    by,
) -> CounterSale:
    """Place the entered order, take its full total in ``payment_method`` and hand it over at ``location``.

    Raises the refusal of whichever step refuses (``OrderError``, ``InsufficientStock``,
    ``PaymentRefused``, ``NotShippable``…); the transaction then leaves no order, payment,
    shipment or stock change behind.
    """
    order = place_entry_order(entry=entry, draft=draft, by=by)
    payment = record_payment(
        order=order,
        method=payment_method,
        amount=order.total_amount,
        currency=order.currency,
        reference=reference,
        cash_tendered=cash_tendered,
        by=by,
    )
    shipment = hand_over_at_counter(order=order, location=location, by=by)
    order.refresh_from_db()
    return CounterSale(order=order, payment=payment, shipment=shipment)
