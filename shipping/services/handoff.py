"""Handing shipments to carriers: a daily CSV manifest, or a signed JSON POST per shipment.

Each shipment is handed over once: its ``CarrierHandoff`` row is the flag, checked and set
under a row lock, so a retried task or a second manifest run sends nothing twice. A
webhook hand-off still unsent some minutes after the shipment left (its publish was lost,
the broker down at commit) is published again by a beat task (``hand_off_due_shipments``).
"""

import csv
import io
import json
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalog.after_commit import on_commit_or_log, republish
from shipping.models import LEFT_US_STATUSES, CarrierAccount, CarrierHandoff, CarrierKind, Shipment, ShipmentStatus
from shipping.services.tracking_updates import SIGNATURE_HEADER, sign

MANIFEST_COLUMNS = (
    "shipment",
    "order",
    "tracking_number",
    "name",
    "company",
    "line1",
    "line2",
    "postal_code",
    "city",
    "country",
    "units",
    "shipped_at",
)
POST_TIMEOUT_SECONDS = 15
# The beat leaves a hand-off to its own task for this long after shipping, and gives up after a day.
REPUBLISH_AFTER = timedelta(minutes=5)
REPUBLISH_WITHIN = timedelta(days=1)


def carrier_for(shipment: Shipment) -> CarrierAccount | None:
    if not shipment.carrier:
        return None
    return CarrierAccount.objects.filter(name__iexact=shipment.carrier.strip(), is_active=True).first()


def enqueue_handoff(shipment: Shipment) -> None:
    """Called by ``mark_shipped``: a webhook carrier gets the shipment after commit."""
    from shipping.tasks import hand_off_shipment as hand_off_shipment_task

    account = carrier_for(shipment)
    if account is not None and account.kind == CarrierKind.WEBHOOK and account.endpoint_url:
        on_commit_or_log(hand_off_shipment_task.delay, shipment_id=shipment.pk)  # else the beat hands it off


def hand_off_due_shipments(*, now=None) -> int:
    """Beat: publish again the webhook hand-offs of shipments shipped some minutes ago (up to
    a day) and not handed off; returns how many were published."""
    from shipping.tasks import hand_off_shipment as hand_off_shipment_task

    now = now or timezone.now()
    shipped = (
        Shipment.objects.filter(
            shipped_at__range=(now - REPUBLISH_WITHIN, now - REPUBLISH_AFTER),
            status__in=LEFT_US_STATUSES - {ShipmentStatus.PICKED_UP},
        )
        .exclude(carrier="")
        .exclude(handoff__sent_at__isnull=False)
        .order_by("pk")[:500]
    )
    return sum(
        republish(hand_off_shipment_task.delay, key=f"shipment-handoff:{shipment.pk}", shipment_id=shipment.pk)
        for shipment in shipped
        if (account := carrier_for(shipment)) is not None
        and account.kind == CarrierKind.WEBHOOK
        and account.endpoint_url
    )


def shipment_payload(shipment: Shipment) -> dict:
    """What a carrier needs to pick the parcel up and deliver it; no prices, no e-mail."""
    order = shipment.order
    address = order.shipping_address or {}
    return {
        "shipment_id": shipment.pk,
        "order_number": order.number,
        "tracking_number": shipment.tracking_number,
        "ship_from": {"code": shipment.location.code, "name": shipment.location.name},
        "ship_to": {
            k: address.get(k, "") for k in ("name", "company", "line1", "line2", "postal_code", "city", "country")
        },
        "units": sum(line.quantity for line in shipment.lines.all()),
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None,
    }


def _post(url: str, body: bytes, headers: dict) -> str:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - URL set by the owner
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read(65536).decode("utf-8", "replace")


def hand_off_shipment(*, shipment_id: int) -> bool:
    """POST the shipment to its webhook carrier once; a tracking number in the reply is kept.

    The POST happens outside any transaction (on SQLite a transaction would hold the
    database's write lock for the whole network call); the hand-off row is then written
    under the shipment's row lock. A retry after a lost reply may POST again, which the
    ``Idempotency-Key`` header lets the carrier recognise. Network errors raise
    (``OSError``) so the task retries with backoff. Returns False when there was nothing to do.
    """
    shipment = Shipment.objects.select_related("order", "location").prefetch_related("lines").get(pk=shipment_id)
    if shipment.status not in LEFT_US_STATUSES:
        return False
    account = carrier_for(shipment)
    if account is None or account.kind != CarrierKind.WEBHOOK or not account.endpoint_url:
        return False
    if CarrierHandoff.objects.filter(shipment=shipment, sent_at__isnull=False).exists():
        return False
    body = json.dumps(shipment_payload(shipment), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret=account.secret, body=body),
        "Idempotency-Key": f"backroom-shipment-{shipment.pk}",
    }
    reply = _post(account.endpoint_url, body, headers)
    try:
        number = str(json.loads(reply).get("tracking_number") or "").strip()
    except (ValueError, AttributeError):
        number = ""
    return _record_handoff(shipment_id=shipment.pk, account=account, reply=reply, tracking_number=number)


@transaction.atomic
def _record_handoff(*, shipment_id: int, account: CarrierAccount, reply: str, tracking_number: str) -> bool:
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    if CarrierHandoff.objects.filter(shipment=shipment, sent_at__isnull=False).exists():
        return False
    if tracking_number and not shipment.tracking_number:
        shipment.tracking_number = tracking_number[:100]
        shipment.save(update_fields=["tracking_number"])
    CarrierHandoff.objects.update_or_create(
        shipment=shipment, defaults={"carrier": account, "sent_at": timezone.now(), "response": reply[:2000]}
    )
    return True


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def build_manifest(*, carrier: CarrierAccount, day: date) -> tuple[str, list[Shipment]]:
    """The CSV of the carrier's shipments shipped on ``day`` and not yet on a manifest."""
    start, end = _day_bounds(day)
    shipments = list(
        Shipment.objects.filter(
            carrier__iexact=carrier.name,
            shipped_at__gte=start,
            shipped_at__lt=end,
            handoff__isnull=True,
        )
        .exclude(status__in=[ShipmentStatus.PICKED_UP])
        .select_related("order", "location")
        .prefetch_related("lines")
        .order_by("shipped_at", "id")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MANIFEST_COLUMNS)
    for s in shipments:
        a = s.order.shipping_address or {}
        writer.writerow(
            [
                s.pk,
                s.order.number,
                s.tracking_number,
                a.get("name", ""),
                a.get("company", ""),
                a.get("line1", ""),
                a.get("line2", ""),
                a.get("postal_code", ""),
                a.get("city", ""),
                a.get("country", ""),
                sum(line.quantity for line in s.lines.all()),
                s.shipped_at.isoformat() if s.shipped_at else "",
            ]
        )
    return out.getvalue(), shipments


@transaction.atomic
def write_daily_manifests(*, day: date | None = None) -> list[str]:
    """Write one manifest per manifest carrier for ``day`` (default today) under ``manifests/``.

    Shipments already on a manifest are left out, so running it twice writes nothing new.
    Returns the stored file names.
    """
    day = day or timezone.localdate()
    names = []
    for account in CarrierAccount.objects.filter(kind=CarrierKind.MANIFEST, is_active=True).select_for_update():
        text, shipments = build_manifest(carrier=account, day=day)
        if not shipments:
            continue
        now = timezone.now()
        name = default_storage.save(
            f"manifests/{account.code}-{day:%Y-%m-%d}-{now:%H%M%S}.csv", ContentFile(text.encode("utf-8"))
        )
        CarrierHandoff.objects.bulk_create(
            [
                CarrierHandoff(shipment=s, carrier=account, manifest_date=day, sent_at=now, response=name)
                for s in shipments
            ]
        )
        names.append(name)
    return names


__all__ = [
    "build_manifest",
    "enqueue_handoff",
    "hand_off_due_shipments",
    "hand_off_shipment",
    "shipment_payload",
    "write_daily_manifests",
]
