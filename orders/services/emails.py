"""The order's own e-mails to the customer, each sent once."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from catalog.models import StoreSettings
from orders.models import Order, OrderEvent
from orders.services._common import _event

ORDER_EMAILS = {"placed", "cancelled"}


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
