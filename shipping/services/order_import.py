"""Importing a marketplace's order export (CSV): check every row, then place each order.

It lives in ``shipping`` because placing an imported order prices its delivery (the highest
app it touches, as the counter sale does); the job's table is ``orders.OrderImport``.

The file has one row per order line, grouped into orders by ``external_reference``
(README: "Importing orders from a CSV file"). ``check_order_file`` reads the whole file
with a fixed number of queries and says, per order, whether it will be imported, refused
(with every bad row) or skipped (its reference was already imported on that channel);
nothing is written. ``run_order_import`` (a Celery task) places the orders one by one
through ``orders.services.place_entry_order``, each in its own transaction: an order is
imported whole or not at all, and a refusal (no stock, say) does not stop the others.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.after_commit import on_commit_or_log, republish
from catalog.models import Channel, Variant
from inventory.exceptions import InventoryError
from inventory.models import Location
from orders.exceptions import OrderError
from orders.models import Customer, Order, OrderImport, OrderImportStatus
from orders.services import MAX_LINE_QUANTITY, LineInput, OrderEntry, place_entry_order, preview_order
from shipping.exceptions import ShippingError
from shipping.models import ShippingMethod
from shipping.services.quotes import quote_shipping

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
RESULTS_EVERY = 50
# An import still queued this long after its upload is published again by the beat, for two days.
REQUEUE_AFTER = timedelta(minutes=5)
REQUEUE_WITHIN = timedelta(days=2)
COLUMNS = (
    "external_reference",
    "channel",
    "email",
    "name",
    "phone",
    "company",
    "line1",
    "line2",
    "city",
    "postal_code",
    "region",
    "country",
    "shipping_method",
    "pickup_location",
    "sku",
    "quantity",
)
REQUIRED_COLUMNS = ("external_reference", "channel", "name", "sku", "quantity")
ADDRESS_REQUIRED = ("line1", "city", "postal_code", "country")
# Columns that describe the order, not the line: every row of one order must agree on them.
ORDER_COLUMNS = tuple(c for c in COLUMNS if c not in ("sku", "quantity"))
COUNTRY = re.compile(r"^[A-Z]{2}$")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV, empty, too large, columns missing)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class PlannedOrder:
    reference: str
    channel_code: str
    first_line: int
    values: dict[str, str]
    lines: list[tuple[str, int]] = field(default_factory=list)  # (sku, quantity)
    row_lines: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line", "message"}
    outcome: str = "ready"  # ready, refused, skipped
    existing_number: str = ""

    def as_dict(self) -> dict:
        return {
            "reference": self.reference,
            "channel": self.channel_code,
            "customer": self.values.get("name", ""),
            "email": self.values.get("email", ""),
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in self.lines],
            "rows": self.row_lines,
            "outcome": self.outcome,
            "errors": self.errors,
            "existing_number": self.existing_number,
        }


def read_csv_text(raw: bytes) -> str:
    if not raw.strip():
        raise ImportFileError(_("The file is empty."))
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 2 MB; split it into smaller files."))
    if b"\x00" in raw:  # anywhere: past the first 4 KB one reached PostgreSQL, which cannot compare it
        raise ImportFileError(_("This is not a CSV file (it holds binary data); export the orders as CSV."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text; save it as “CSV UTF-8”.")) from exc


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportFileError(_("The file cannot be read as CSV: %(error)s.") % {"error": exc}) from exc
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            _("The first line must name the columns; missing: %(missing)s. Expected: %(columns)s.")
            % {"missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
        )
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            values = {
                key: (value or "").strip() for key, value in row.items() if key in COLUMNS and isinstance(value, str)
            }
            if any(values.values()):
                rows.append((reader.line_num, values))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)s cannot be read as CSV: %(error)s.") % {"line": reader.line_num, "error": exc}
        ) from exc
    if not rows:
        raise ImportFileError(_("The file has no rows to import."))
    return rows


def check_order_file(*, text: str) -> list[PlannedOrder]:
    """Every order of the file with its outcome and its rows' problems; writes nothing.

    Raises ``ImportFileError`` when the file as a whole cannot be used.
    """
    rows = _rows(text)
    channels = {c.code: c for c in Channel.objects.filter(code__in={r.get("channel", "") for _l, r in rows})}
    skus = set(Variant.objects.filter(sku__in={r.get("sku", "") for _l, r in rows}).values_list("sku", flat=True))
    sold = set(
        Variant.objects.filter(sku__in=skus, product__channels__code__in=channels).values_list(
            "product__channels__code", "sku"
        )
    )
    methods = {
        m.code: m for m in ShippingMethod.objects.filter(code__in={r.get("shipping_method", "") for _l, r in rows})
    }
    pickups = {
        loc.code: loc for loc in Location.objects.filter(code__in={r.get("pickup_location", "") for _l, r in rows})
    }
    existing = {
        (channel_code, reference): number
        for channel_code, reference, number in Order.objects.filter(
            external_reference__in={r.get("external_reference", "") for _l, r in rows} - {""}
        ).values_list("channel__code", "external_reference", "number")
    }
    orders: dict[str, PlannedOrder] = {}
    for line, row in rows:
        reference = row.get("external_reference", "")
        problems: list[str] = []
        if not reference:
            problems.append(_("the external_reference is empty"))
        planned = orders.get(reference)
        if planned is None:
            planned = PlannedOrder(
                reference=reference,
                channel_code=row.get("channel", ""),
                first_line=line,
                values={c: row.get(c, "") for c in ORDER_COLUMNS},
            )
            orders[reference] = planned
            problems += _check_order_values(row, channels=channels, methods=methods, pickups=pickups)
        else:
            differing = [c for c in ORDER_COLUMNS if row.get(c, "") and row.get(c, "") != planned.values.get(c, "")]
            if differing:
                problems.append(
                    _("%(columns)s differ from line %(line)s of the same order")
                    % {"columns": ", ".join(differing), "line": planned.first_line}
                )
        sku = row.get("sku", "")
        if not sku:
            problems.append(_("the sku is empty"))
        elif sku not in skus:
            problems.append(_("unknown SKU “%(sku)s”") % {"sku": sku})
        elif planned.channel_code in channels and (planned.channel_code, sku) not in sold:
            problems.append(
                _("%(sku)s is not sold on %(channel)s") % {"sku": sku, "channel": channels[planned.channel_code].name}
            )
        quantity_text = row.get("quantity", "")
        try:
            quantity = int(quantity_text)
        except ValueError:
            quantity = 0
            problems.append(_("quantity “%(value)s” is not a whole number") % {"value": quantity_text})
        else:
            if not 0 < quantity <= MAX_LINE_QUANTITY:
                problems.append(
                    _("quantity %(value)s must be between 1 and %(max)s")
                    % {"value": quantity, "max": MAX_LINE_QUANTITY}
                )
        planned.row_lines.append(line)
        if problems:
            planned.errors.append({"line": line, "message": "; ".join(problems)})
        else:
            planned.lines.append((sku, quantity))
    for planned in orders.values():
        number = existing.get((planned.channel_code, planned.reference))
        if planned.errors:
            planned.outcome = "refused"
        elif number:
            planned.outcome, planned.existing_number = "skipped", number
    return list(orders.values())


def _check_order_values(row: dict[str, str], *, channels, methods, pickups) -> list[str]:
    problems = []
    code = row.get("channel", "")
    if not code:
        problems.append(_("the channel is empty"))
    elif code not in channels:
        problems.append(_("unknown channel “%(code)s”") % {"code": code})
    if not row.get("name"):
        problems.append(_("the name is empty"))
    if row.get("email"):
        try:
            validate_email(row["email"])
        except ValidationError:
            problems.append(_("“%(email)s” is not an e-mail address") % {"email": row["email"]})
    method_code, pickup_code = row.get("shipping_method", ""), row.get("pickup_location", "")
    if method_code and method_code not in methods:
        problems.append(_("unknown shipping method “%(code)s”") % {"code": method_code})
    if pickup_code:
        location = pickups.get(pickup_code)
        if location is None or not location.is_pickup_point:
            problems.append(_("“%(code)s” is not a pickup location") % {"code": pickup_code})
        elif method_code and methods.get(method_code) and methods[method_code].kind != ShippingMethod.Kind.PICKUP:
            problems.append(_("a pickup location goes with a pickup method, not “%(code)s”") % {"code": method_code})
    else:
        missing = [column for column in ADDRESS_REQUIRED if not row.get(column)]
        if missing:
            problems.append(
                _("the address needs %(columns)s (or give a pickup_location)") % {"columns": ", ".join(missing)}
            )
    country = row.get("country", "")
    if country and not COUNTRY.match(country.upper()):
        problems.append(_("country “%(value)s” is not a two-letter ISO code such as DE") % {"value": country})
    return problems


def summarize(planned: list[PlannedOrder]) -> dict:
    counts = {"ready": 0, "refused": 0, "skipped": 0}
    for order in planned:
        counts[order.outcome] += 1
    return {
        "orders": [order.as_dict() for order in planned],
        "counts": counts,
        "rows": sum(len(order.row_lines) for order in planned),
        "row_errors": sum(len(order.errors) for order in planned),
    }


# ------------------------------------------------------------------------------
# The job
# ------------------------------------------------------------------------------
@transaction.atomic
def create_order_import(*, filename: str, raw: bytes, by=None) -> OrderImport:
    """Check an uploaded file and keep it, with its preview, until someone confirms the import.

    A file that cannot be used raises ``ImportFileError`` and nothing is kept.
    """
    text = read_csv_text(raw)
    planned = check_order_file(text=text)
    return OrderImport.objects.create(
        filename=filename[:200],
        content=text,
        total=len(planned),
        preview=summarize(planned),
        created_by=by,
    )


@transaction.atomic
def start_order_import(*, job: OrderImport, by=None) -> OrderImport:
    """Queue a previewed import; the orders are placed by a Celery task after commit."""
    from shipping.tasks import run_order_import as run_order_import_task

    updated = OrderImport.objects.filter(pk=job.pk, status=OrderImportStatus.PREVIEW).update(
        status=OrderImportStatus.QUEUED
    )
    job.refresh_from_db()
    if not updated:
        raise ImportFileError(_("This import has already been started."))
    if not job.preview.get("counts", {}).get("ready"):
        raise ImportFileError(_("No order in this file can be imported."))
    on_commit_or_log(run_order_import_task.delay, job_id=job.pk)  # else the beat publishes it
    return job


def requeue_lost_order_imports(*, now=None) -> int:
    """Beat: publish again the imports still queued some minutes after their upload (up to two
    days; the job row has no time of its own for the start); the run claims the job, so a
    publish that did get through runs it once. Returns how many were published."""
    from shipping.tasks import run_order_import as run_order_import_task

    now = now or timezone.now()
    lost = OrderImport.objects.filter(
        status=OrderImportStatus.QUEUED, created_at__range=(now - REQUEUE_WITHIN, now - REQUEUE_AFTER)
    )
    return sum(
        republish(run_order_import_task.delay, key=f"order-import:{pk}", job_id=pk)
        for pk in lost.order_by("pk").values_list("pk", flat=True)[:100]
    )


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = name.strip().rpartition(" ")
    return (first, last) if first else ("", last)


def _customer(values: dict[str, str], *, by=None) -> tuple[Customer | None, dict | None]:
    """The customer with this e-mail, or the data to create one with the order."""
    email = values.get("email", "").lower()
    if email:
        found = Customer.objects.filter(email__iexact=email).first()
        if found is not None:
            return found, None
    if not (email or values.get("phone")):
        return None, None
    first, last = _split_name(values.get("name", ""))
    return None, {
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": values.get("phone", ""),
        "company_name": values.get("company", ""),
    }


@transaction.atomic
def import_planned_order(*, planned: PlannedOrder, by=None) -> Order:
    """Place one order of the file, whole or not at all (customer, order, stock)."""
    values = planned.values
    channel = Channel.objects.select_related("price_list").get(code=planned.channel_code)
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=[sku for sku, _q in planned.lines])}
    customer, new_customer = _customer(values, by=by)
    pickup = Location.objects.get(code=values["pickup_location"]) if values.get("pickup_location") else None
    method = None
    if values.get("shipping_method"):
        method = ShippingMethod.objects.get(code=values["shipping_method"])
    address = {}
    if pickup is None:
        address = {
            "name": values.get("name", ""),
            "company": values.get("company", ""),
            "line1": values.get("line1", ""),
            "line2": values.get("line2", ""),
            "postal_code": values.get("postal_code", ""),
            "city": values.get("city", ""),
            "region": values.get("region", ""),
            "country": values.get("country", "").upper(),
            "phone": values.get("phone", ""),
        }
    entry = OrderEntry(
        channel=channel,
        lines=[LineInput(variant=variants[sku], quantity=quantity) for sku, quantity in planned.lines],
        customer=customer,
        new_customer=new_customer,
        email=values.get("email", "").lower(),
        phone=values.get("phone", ""),
        customer_name=values.get("name", ""),
        shipping_address=address,
        shipping_method=method,
        pickup_location=pickup,
        external_reference=planned.reference,
        notes=_("Imported from a CSV file."),
    )
    if method is not None:
        priced, totals = preview_order(entry=entry)
        weight = sum(variants[line.sku].weight_grams * line.quantity for line in priced)
        entry.shipping_amount = quote_shipping(
            method=method, channel=channel, subtotal=totals["subtotal_amount"], weight_grams=weight
        )
    return place_entry_order(entry=entry, by=by)


def run_order_import(*, job_id: int) -> OrderImport | None:
    """Place the orders of a queued import, one transaction each; safe to run twice.

    The job is claimed (queued -> running) with a guarded UPDATE, so a repeated task does
    nothing. The file is checked again now (a SKU may have gone since the preview).
    """
    claimed = OrderImport.objects.filter(pk=job_id, status=OrderImportStatus.QUEUED).update(
        status=OrderImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = OrderImport.objects.get(pk=job_id)
    by = job.created_by
    try:
        planned = check_order_file(text=job.content)
    except ImportFileError as exc:
        OrderImport.objects.filter(pk=job.pk).update(
            status=OrderImportStatus.FAILED, error=exc.message[:500], finished_at=timezone.now()
        )
        return OrderImport.objects.get(pk=job.pk)
    OrderImport.objects.filter(pk=job.pk).update(total=len(planned), done=0)
    results = []
    for index, order in enumerate(planned, start=1):
        result = {"reference": order.reference, "channel": order.channel_code, "outcome": order.outcome}
        if order.outcome == "refused":
            result["reason"] = "; ".join(_("line %(line)s: %(message)s") % e for e in order.errors)
        elif order.outcome == "skipped":
            result["reason"] = _("already imported as order %(number)s") % {"number": order.existing_number}
            result["number"] = order.existing_number
        else:
            try:
                placed = import_planned_order(planned=order, by=by)
            except (OrderError, InventoryError, ShippingError) as exc:
                result |= {"outcome": "refused", "reason": exc.message}
            except Exception as exc:  # one broken order must not stop the file
                logger.exception("Order import %s: %s failed", job.pk, order.reference)
                result |= {"outcome": "refused", "reason": _("unexpected error: %(error)s") % {"error": exc}}
            else:
                result |= {"outcome": "imported", "number": placed.number}
        results.append(result)
        # The count moves with every order (the progress bar); the report is written every
        # RESULTS_EVERY orders and at the end, not rewritten in full for each order.
        if index % RESULTS_EVERY == 0:
            OrderImport.objects.filter(pk=job.pk).update(done=index, results=results)
        else:
            OrderImport.objects.filter(pk=job.pk).update(done=index)
    OrderImport.objects.filter(pk=job.pk).update(
        status=OrderImportStatus.DONE, results=results, finished_at=timezone.now()
    )
    return OrderImport.objects.get(pk=job.pk)
