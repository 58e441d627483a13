"""Orders taken by staff on the phone or at the counter: drafts, and placing them.

A draft is an ``Order`` in status draft with its lines priced but no stock reserved, so a
half-taken phone order holds nothing back from other customers. Placing it reserves the
stock (``place_draft_order``) and is refused, with the short SKUs named, when it is not there.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Channel, normalise_code
from catalog.money import HUNDRED, ZERO, quantize
from inventory.models import Location
from orders.exceptions import InvalidOrder, InvalidTransition
from orders.models import Customer, Order, OrderLine, OrderStatus, PaymentChoice
from orders.services._common import _lock
from orders.services.customers import create_customer
from orders.services.placement import (
    LineInput,
    _check_payment_choice,
    _price_lines,
    check_discount_combination,
    compute_totals,
    place_draft_order,
    place_order,
    quote_discount_code,
)

DEFAULT_SHIPPING_TAX_RATE = Decimal("19.00")


@dataclass
class OrderEntry:
    """Everything the new-order page collects; the services below turn it into an order."""

    channel: Channel
    lines: Sequence[LineInput] = ()
    customer: Customer | None = None
    new_customer: dict | None = None  # first_name, last_name, email, phone, company_name
    email: str = ""
    phone: str = ""
    customer_name: str = ""
    shipping_address: dict = field(default_factory=dict)
    shipping_method: object = None
    shipping_amount: Decimal = ZERO
    shipping_tax_rate: Decimal = DEFAULT_SHIPPING_TAX_RATE
    pickup_location: Location | None = None
    discount_percent: Decimal = ZERO
    discount_code: str = ""
    notes: str = ""
    external_reference: str = ""  # the sender's own id (API, CSV import): never placed twice per channel
    payment_choice: str = ""  # how the customer said they would pay (orders.models.PaymentChoice)


def _contact_email(entry: OrderEntry) -> str:
    """The e-mail a per-customer code limit is counted against."""
    if entry.email:
        return entry.email
    if entry.customer is not None:
        return entry.customer.email
    return (entry.new_customer or {}).get("email", "")


def preview_order(*, entry: OrderEntry) -> tuple[list[OrderLine], dict[str, Decimal]]:
    """The priced lines and totals the order would get now (no writes): the running totals.

    Raises ``InvalidOrder`` for an item the channel does not sell or has no price for.
    """
    priced = _price_lines(channel=entry.channel, lines=entry.lines, customer=entry.customer) if entry.lines else []
    quote = None
    if entry.discount_code.strip() and priced:
        check_discount_combination(discount_percent=entry.discount_percent)
        quote = quote_discount_code(
            code=entry.discount_code, channel=entry.channel, email=_contact_email(entry), lines=priced
        )
    totals = compute_totals(
        lines=priced,
        discount_percent=quote.percent if quote else Decimal(entry.discount_percent),
        discount_fixed_amount=quote.fixed_amount if quote else ZERO,
        shipping_amount=quantize(entry.shipping_amount),
        shipping_tax_rate=entry.shipping_tax_rate,
    )
    return priced, totals


def _customer_for(entry: OrderEntry, *, by) -> Customer | None:
    if entry.customer is None and entry.new_customer:
        entry.customer = create_customer(**entry.new_customer, address=entry.shipping_address or None, by=by)
    return entry.customer


def check_payment_choice(*, entry: OrderEntry) -> None:
    """Refuse (``InvalidOrder`` on ``payment_choice``) a way to pay placing would refuse.

    Read-only, for the new-order page to say it next to the field before anything is posted
    to be saved; saving a draft and placing check it again.
    """
    _check_payment_choice(entry.payment_choice, pickup_location=entry.pickup_location, customer=entry.customer)


def _check(entry: OrderEntry) -> None:
    # A draft keeps the way to pay only if placing would accept it ("at pickup" needs a store).
    check_payment_choice(entry=entry)
    if not Decimal(0) <= Decimal(entry.discount_percent) <= HUNDRED:
        raise InvalidOrder(_("The discount must be between 0 and 100 %."), field="discount_percent")
    if entry.shipping_amount < 0:
        raise InvalidOrder(_("The shipping price cannot be negative."), field="shipping_amount")


@transaction.atomic
def save_draft_order(*, entry: OrderEntry, draft: Order | None = None, by=None) -> Order:
    """Keep a half-taken order to finish later: lines priced, totals set, no stock reserved.

    Saving again replaces the draft's lines and figures with the entry's, and its way to pay
    (``payment_choice``): a value placing would refuse is refused here too, on that field.
    """
    _check(entry)
    if draft is not None:
        draft = _lock(draft)
        if draft.status != OrderStatus.DRAFT:
            raise InvalidTransition(_("Order %(number)s has already been placed.") % {"number": draft})
    customer = _customer_for(entry, by=by)
    priced, totals = preview_order(entry=entry)
    if customer is not None:
        email = entry.email or customer.email
        phone = entry.phone or customer.phone
        name = entry.customer_name or customer.full_name or customer.company_name
    else:
        email, phone, name = entry.email, entry.phone, entry.customer_name
    values = {
        "channel": entry.channel,
        "customer": customer,
        "currency": entry.channel.price_list.currency,
        "email": email,
        "phone": phone,
        "customer_name": name,
        "billing_address": entry.shipping_address or {},
        "shipping_address": entry.shipping_address or {},
        "shipping_method": entry.shipping_method,
        "pickup_location": entry.pickup_location,
        "shipping_tax_rate": entry.shipping_tax_rate,
        "notes": entry.notes,
        "discount_code": normalise_code(entry.discount_code),
        "payment_choice": entry.payment_choice or PaymentChoice.NOT_GIVEN,
        **totals,
    }
    if draft is None:
        draft = Order.objects.create(status=OrderStatus.DRAFT, created_by=by, **values)
    else:
        for name_, value in values.items():
            setattr(draft, name_, value)
        draft.save()
        draft.lines.all().delete()
    for line in priced:
        line.order = draft
    OrderLine.objects.bulk_create(priced)
    return draft


@transaction.atomic
def place_entry_order(*, entry: OrderEntry, draft: Order | None = None, by=None) -> Order:
    """Place what staff entered: a new customer is created, a draft is updated and placed.

    All or nothing: if the stock is not there, no customer, draft change or order is left.
    """
    _check(entry)
    if draft is not None:
        draft = save_draft_order(entry=entry, draft=draft, by=by)
        return place_draft_order(order=draft, by=by)
    customer = _customer_for(entry, by=by)
    return place_order(
        channel=entry.channel,
        lines=entry.lines,
        customer=customer,
        email=entry.email,
        phone=entry.phone,
        customer_name=entry.customer_name,
        shipping_address=entry.shipping_address or None,
        shipping_method=entry.shipping_method,
        shipping_amount=quantize(entry.shipping_amount),
        shipping_tax_rate=entry.shipping_tax_rate,
        pickup_location=entry.pickup_location,
        discount_percent=Decimal(entry.discount_percent),
        discount_code=entry.discount_code,
        external_reference=entry.external_reference,
        notes=entry.notes,
        payment_choice=entry.payment_choice,
        by=by,
    )
