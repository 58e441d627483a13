"""The customer's e-mails about a parcel: shipped, ready for pickup, delivered — each once."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from catalog.models import StoreSettings
from orders.models import Order, OrderEvent
from shipping.models import Shipment

SHIPMENT_EMAILS = {"shipped", "ready_for_pickup", "delivered"}


def email_marker(*, shipment_id: int, kind: str) -> str:
    """What the timeline row that records the sending says (fits ``OrderEvent.new_value``)."""
    return f"{kind}:{shipment_id}"


def tracking_url(order: Order) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + f"/track/{order.tracking_code}/"


@transaction.atomic
def send_shipment_email(*, shipment_id: int, kind: str) -> bool:
    """Send one of a shipment's e-mails once.

    The order row is locked and the timeline row that says the e-mail went out is written in
    the same transaction as the send, so a retried or doubled task sends nothing more.
    Returns False when there was nothing to send.
    """
    if kind not in SHIPMENT_EMAILS:
        raise ValueError(f"unknown shipment e-mail {kind!r}")
    shipment = Shipment.objects.select_related("location", "method").get(pk=shipment_id)
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    marker = email_marker(shipment_id=shipment.pk, kind=kind)
    if not order.email or order.events.filter(kind=OrderEvent.Kind.EMAIL_SENT, new_value=marker).exists():
        return False
    context = {
        "order": order,
        "shipment": shipment,
        "lines": list(shipment.lines.select_related("order_line").order_by("order_line_id")),
        "store_name": StoreSettings.cached_name(),
        "tracking_url": tracking_url(order),
    }
    subject = render_to_string(f"shipping/email/shipment_{kind}.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"shipping/email/shipment_{kind}.txt", context), to=[order.email]
    )
    message.attach_alternative(render_to_string(f"shipping/email/shipment_{kind}.html", context), "text/html")
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.EMAIL_SENT,
        new_value=marker,
        message=_("E-mail sent to %(email)s.") % {"email": order.email},
    )
    message.send()
    return True
