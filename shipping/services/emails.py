"""The customer's e-mails about a parcel: shipped, ready for pickup, delivered — each once.

An e-mail is due while its shipment reached the status (a few minutes ago, up to a day) and
the order's timeline has no ``email_sent`` row for it; a beat task publishes again the ones
whose publish at commit was lost (the broker was down).
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
from orders.models import Order, OrderEvent
from shipping.models import LEFT_US_STATUSES, Shipment, ShipmentStatus

SHIPMENT_EMAILS = {"shipped", "ready_for_pickup", "delivered"}
# The beat leaves an e-mail to its own task for this long, and gives up after a day.
RESEND_AFTER = timedelta(minutes=5)
RESEND_WITHIN = timedelta(days=1)


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


def list_due_shipment_emails(*, now=None) -> list[tuple[int, str]]:
    """(shipment id, kind) of the e-mails due for some minutes and not sent: a lost publish."""
    now = now or timezone.now()
    window = (now - RESEND_WITHIN, now - RESEND_AFTER)
    ready = OrderEvent.objects.filter(  # the timeline row the move to "ready for pickup" wrote
        order=OuterRef("order"),
        kind=OrderEvent.Kind.SHIPMENT,
        new_value=ShipmentStatus.READY_FOR_PICKUP,
        created_at__range=window,
    )
    wanted = {
        "shipped": Shipment.objects.filter(
            shipped_at__range=window, status__in=LEFT_US_STATUSES - {ShipmentStatus.PICKED_UP}
        ),
        "delivered": Shipment.objects.filter(delivered_at__range=window, status=ShipmentStatus.DELIVERED),
        "ready_for_pickup": Shipment.objects.filter(Exists(ready), status=ShipmentStatus.READY_FOR_PICKUP),
    }
    candidates = [
        (pk, order_id, kind)
        for kind, shipments in wanted.items()
        for pk, order_id in shipments.exclude(order__email="").order_by("pk").values_list("pk", "order_id")[:500]
    ]
    sent = set(
        OrderEvent.objects.filter(
            kind=OrderEvent.Kind.EMAIL_SENT,
            order_id__in={order_id for _pk, order_id, _kind in candidates},
            new_value__in={email_marker(shipment_id=pk, kind=kind) for pk, _order_id, kind in candidates},
        ).values_list("order_id", "new_value")
    )
    return [
        (pk, kind)
        for pk, order_id, kind in candidates
        if (order_id, email_marker(shipment_id=pk, kind=kind)) not in sent
    ]


def send_due_shipment_emails(*, now=None) -> int:
    """Beat: publish again the shipment e-mails that are due; returns how many were published."""
    from shipping.tasks import send_shipment_email as send_shipment_email_task

    return sum(
        republish(send_shipment_email_task.delay, key=f"shipment-email:{kind}:{pk}", shipment_id=pk, kind=kind)
        for pk, kind in list_due_shipment_emails(now=now)
    )
