"""The order's own e-mails to the customer, each sent once.

An e-mail is due while its order was placed (or cancelled) with an address and the timeline
has no ``email_sent`` row for it; a beat task re-publishes the ones whose publish at commit
was lost (the broker was down), a few minutes late, for a day.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import republish
from catalog.models import StoreSettings
from orders.models import Order, OrderEvent, OrderStatus
from orders.services._common import _event

ORDER_EMAILS = {"placed", "cancelled"}
# The beat leaves an e-mail to its own task for this long after the order moved...
RESEND_AFTER = timedelta(minutes=5)
# ...and gives up on it after this long (no e-mail about last week's order).
RESEND_WITHIN = timedelta(days=1)


@transaction.atomic
def send_order_email(*, order_id: int, kind: str) -> bool:
    """Send one of the order's e-mails once: the timeline row that says it was sent is written
    in the same transaction, under the order's row lock, so a retried task sends nothing more.
    Returns False when there was nothing to send."""
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order e-mail {kind!r}")
    order = Order.objects.select_for_update().select_related("channel").get(pk=order_id)
    if not order.email or order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value=kind).exists():
        return False
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "store_name": StoreSettings.load().name or settings.STORE_NAME,
        "tracking_url": settings.PUBLIC_BASE_URL.rstrip("/") + f"/track/{order.tracking_code}/",
    }
    subject = render_to_string(f"orders/email/order_{kind}.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"orders/email/order_{kind}.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"orders/email/order_{kind}.html", context), "text/html")
    _event(order, OrderEvent.Kind.EMAIL_SENT, new=kind, message=_("E-mail sent to %(email)s.") % {"email": order.email})
    message.send()
    return True


def list_due_order_emails(*, now=None) -> list[tuple[int, str]]:
    """(order id, kind) of the e-mails due for some minutes and not sent: a lost publish."""
    now = now or timezone.now()
    window = (now - RESEND_WITHIN, now - RESEND_AFTER)
    due = []
    for kind, orders in (
        # an order cancelled before the beat came gets the cancellation only
        ("placed", Order.objects.filter(placed_at__range=window).exclude(status=OrderStatus.CANCELLED)),
        ("cancelled", Order.objects.filter(cancelled_at__range=window, status=OrderStatus.CANCELLED)),
    ):
        sent = OrderEvent.objects.filter(order=OuterRef("pk"), kind=OrderEvent.Kind.EMAIL_SENT, new_value=kind)
        orders = orders.exclude(email="").filter(number__isnull=False).exclude(Exists(sent))
        due += [(pk, kind) for pk in orders.order_by("pk").values_list("pk", flat=True)[:500]]
    return due


def send_due_order_emails(*, now=None) -> int:
    """Beat: publish again the order e-mails that are due; returns how many were published."""
    from orders.tasks import send_order_email as send_order_email_task

    return sum(
        republish(send_order_email_task.delay, key=f"order-email:{kind}:{pk}", order_id=pk, kind=kind)
        for pk, kind in list_due_order_emails(now=now)
    )
