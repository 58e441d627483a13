"""Unpaid orders on channels that require payment: a reminder, then cancellation.

A beat task calls :func:`process_unpaid_orders`: a day before the store's deadline
(``StoreSettings.unpaid_cancel_after_days``) the customer gets one reminder e-mail; after
it the order is cancelled through ``orders.cancel_order``, which releases its stock.
Customers on payment terms are invoiced instead and never cancelled here, and neither is an
order the customer chose to pay at pickup (``Order.payment_choice``): it is paid at the counter
when collected, so it waits for the customer, not for a payment. (It still counts as unpaid on
the dashboard's "needs attention" after a week: a pickup nobody collects is worth a call.)
A reminder for a bank transfer repeats the bank details and the reference.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import StoreSettings
from orders.exceptions import OrderError
from orders.models import Order, OrderEvent, OrderStatus, PaymentChoice, PaymentStatus
from orders.services import cancel_order

logger = logging.getLogger(__name__)
REMINDER = "payment_reminder"
# Chosen ways to pay that are not chased here: paid at the counter when collected, or invoiced.
NOT_CHASED = (PaymentChoice.AT_PICKUP, PaymentChoice.ON_TERMS)


def _unpaid(*, placed_before: datetime.datetime) -> QuerySet[Order]:
    return (
        Order.objects.filter(
            status=OrderStatus.PLACED,
            payment_status=PaymentStatus.UNPAID,
            channel__requires_payment=True,
            placed_at__lt=placed_before,
        )
        .exclude(customer__payment_terms_days__isnull=False)
        .exclude(payment_choice__in=NOT_CHASED)
        .order_by("placed_at", "pk")
    )


@transaction.atomic
def send_payment_reminder(*, order_id: int) -> bool:
    """The one reminder e-mail, sent under the order's lock with its timeline row."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if not order.email or order.payment_status != PaymentStatus.UNPAID or order.status != OrderStatus.PLACED:
        return False
    if order.payment_choice in NOT_CHASED:
        return False
    if order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value=REMINDER).exists():
        return False
    store = StoreSettings.load()
    deadline = order.placed_at + datetime.timedelta(days=store.unpaid_cancel_after_days)
    context = {
        "order": order,
        "store_name": store.name,
        "deadline": deadline,
        "seller": store,
        "bank_transfer": order.payment_choice == PaymentChoice.BANK_TRANSFER,
        "tracking_url": settings.PUBLIC_BASE_URL.rstrip("/") + f"/track/{order.tracking_code}/",
    }
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string("billing/email/payment_reminder.subject.txt", context).split()),
        body=render_to_string("billing/email/payment_reminder.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string("billing/email/payment_reminder.html", context), "text/html")
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.EMAIL_SENT,
        new_value=REMINDER,
        message=_("Payment reminder sent to %(email)s.") % {"email": order.email},
    )
    message.send()
    return True


def process_unpaid_orders(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remind a day before the deadline, cancel after it. Returns the counts."""
    now = now or timezone.now()
    days = StoreSettings.load().unpaid_cancel_after_days
    cancelled = reminded = 0
    for order in _unpaid(placed_before=now - datetime.timedelta(days=days)):
        try:
            cancel_order(order=order, reason=_("Not paid within %(days)s days.") % {"days": days})
            cancelled += 1
        except OrderError as exc:
            logger.warning("Unpaid order %s not cancelled: %s", order.number, exc.message)
    remind_before = now - datetime.timedelta(days=max(days - 1, 0))
    for order_id in _unpaid(placed_before=remind_before).values_list("pk", flat=True):
        reminded += send_payment_reminder(order_id=order_id)
    return {"cancelled": cancelled, "reminded": reminded}
