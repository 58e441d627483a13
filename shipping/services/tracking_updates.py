"""Tracking updates from outside: the carrier's signed webhook and a CSV file of events.

Both end in ``record_tracking_event``, the one service that appends an event and moves a
shipment forward (never backwards, duplicates ignored), so a webhook replayed or a file
imported twice changes nothing the second time.
"""

import csv
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from shipping.exceptions import ShippingError
from shipping.models import CARRIER_STATUSES, CarrierAccount, Shipment, TrackingEventSource
from shipping.services.fulfilment import record_tracking_event

SIGNATURE_HEADER = "X-Backroom-Signature"
CSV_COLUMNS = ("tracking_number", "status", "occurred_at", "external_id", "place", "description")


class InvalidSignature(ShippingError):
    pass


def sign(*, secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body with the carrier's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(*, secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of the signature header; an account without a secret accepts nothing."""
    if not secret or not signature:
        return False
    expected = sign(secret=secret, body=body)
    given = signature.strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    return hmac.compare_digest(expected, given)


@dataclass
class UpdateResult:
    recorded: int = 0
    ignored: int = 0
    unknown: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"recorded": self.recorded, "ignored": self.ignored, "unknown": self.unknown, "errors": self.errors}


@dataclass(frozen=True)
class _Update:
    tracking_number: str
    status: str
    occurred_at: datetime
    external_id: str = ""
    place: str = ""
    description: str = ""


def _parse(raw: dict, *, where: str) -> _Update:
    if not isinstance(raw, dict):
        raise ShippingError(_("%(where)s: an event must be an object.") % {"where": where})
    fields = ("tracking_number", "status", "occurred_at", "external_id", "place", "description")
    if any("\x00" in str(raw.get(name) or "") for name in fields):
        # Nothing a carrier means, and PostgreSQL can neither store nor compare text holding one.
        raise ShippingError(_("%(where)s: a value holds a NUL byte.") % {"where": where})
    number = str(raw.get("tracking_number") or "").strip().upper().replace(" ", "")
    status = str(raw.get("status") or "").strip().lower()
    try:
        occurred = parse_datetime(str(raw.get("occurred_at") or "").strip())
    except ValueError:  # shaped like ISO 8601 but no real time ("2026-13-45T99:99")
        occurred = None
    if not number:
        raise ShippingError(_("%(where)s: the tracking number is missing.") % {"where": where})
    if status not in CARRIER_STATUSES:
        raise ShippingError(
            _("%(where)s: %(status)s is not a tracking status (one of: %(allowed)s).")
            % {"where": where, "status": status or "—", "allowed": ", ".join(sorted(CARRIER_STATUSES))}
        )
    if occurred is None:
        raise ShippingError(_("%(where)s: the time is missing or not ISO 8601.") % {"where": where})
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    return _Update(
        tracking_number=number,
        status=status,
        occurred_at=occurred,
        external_id=str(raw.get("external_id") or "").strip(),
        place=str(raw.get("place") or ""),
        description=str(raw.get("description") or ""),
    )


def _apply(updates: list[_Update], *, source: str, carrier: CarrierAccount | None, by=None) -> UpdateResult:
    result = UpdateResult()
    numbers = {u.tracking_number for u in updates}
    shipments = Shipment.objects.filter(tracking_number__in=numbers)
    if carrier is not None:
        shipments = shipments.filter(carrier__iexact=carrier.name)
    by_number: dict[str, Shipment] = {}
    for shipment in shipments.order_by("created_at", "id"):
        by_number[shipment.tracking_number] = shipment  # the newest wins if a number was reused
    for update in sorted(updates, key=lambda u: u.occurred_at):
        shipment = by_number.get(update.tracking_number)
        if shipment is None:
            result.unknown.append(update.tracking_number)
            continue
        try:
            event = record_tracking_event(
                shipment=shipment,
                status=update.status,
                occurred_at=update.occurred_at,
                source=source,
                external_id=update.external_id,
                place=update.place,
                description=update.description,
                by=by,
            )
        except ShippingError as exc:
            result.errors.append(f"{update.tracking_number}: {exc.message}")
            continue
        if event is None:
            result.ignored += 1
        else:
            result.recorded += 1
    return result


@transaction.atomic
def receive_carrier_webhook(*, carrier: CarrierAccount, body: bytes, signature: str) -> UpdateResult:
    """A carrier POSTs tracking events: ``{"events": [{tracking_number, status, occurred_at, external_id, …}]}``.

    A bad signature raises ``InvalidSignature`` before anything is read; a malformed body
    raises ``ShippingError`` and records nothing. Events for unknown numbers are reported,
    not refused, so one stray parcel does not make the carrier resend the whole batch.
    """
    if not carrier.is_active or not verify_signature(secret=carrier.secret, body=body, signature=signature):
        raise InvalidSignature(_("The signature does not match."))
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShippingError(_("The body is not JSON.")) from exc
    raw_events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(raw_events, list):
        raise ShippingError(_('The body needs an "events" list.'))
    updates = [_parse(raw, where=_("event %(n)s") % {"n": i + 1}) for i, raw in enumerate(raw_events)]
    return _apply(updates, source=TrackingEventSource.WEBHOOK, carrier=carrier)


def parse_tracking_csv(text: str) -> list[_Update]:
    """Read a CSV of tracking events (header: tracking_number,status,occurred_at[,external_id,place,description]).

    Every row is checked first; the first bad row raises ``ShippingError`` naming its line.
    """
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    if missing:
        raise ShippingError(_("The file lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)})
    reader.fieldnames = header
    updates = []
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        updates.append(_parse(row, where=_("line %(n)s") % {"n": reader.line_num}))
    if not updates:
        raise ShippingError(_("The file has no events."))
    return updates


@transaction.atomic
def import_tracking_events(*, text: str, by=None) -> UpdateResult:
    """Apply a CSV of tracking events; a bad row refuses the whole file before anything changes."""
    return _apply(parse_tracking_csv(text), source=TrackingEventSource.CSV, carrier=None, by=by)
