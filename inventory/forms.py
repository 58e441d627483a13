"""Forms of the stock pages: what a person (or a barcode scanner) typed, checked field by field.

The forms only validate input; the service each view calls decides whether the change is
allowed, and its refusal is put back on the form by the view.
"""

import csv
import io
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalog.models import Variant
from inventory.models import Location, StockLevel
from inventory.selectors import find_variant_by_code
from inventory.services import import_stock_count


def _locations():
    return Location.objects.filter(is_active=True)


class VariantCodeField(forms.CharField):
    """A SKU or a barcode; cleans to the ``Variant``. Takes focus so a scanner can type straight in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SKU or barcode"))
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autofocus": True, "autocomplete": "off", "spellcheck": "false"})

    def clean(self, value) -> Variant:
        code = super().clean(value)
        variant = find_variant_by_code(code=code)
        if variant is None:
            raise forms.ValidationError(
                _("No variant has the SKU or barcode “%(code)s”."), code="unknown", params={"code": code}
            )
        return variant


class _BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on the fields that have errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class _StockForm(_BootstrapForm):
    variant = VariantCodeField()

    def __init__(self, *args, variant: Variant | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if variant is not None:
            self.initial.setdefault("variant", variant.sku)
        if self.initial.get("variant") or self.data.get("variant"):
            # The SKU is known (from the stock card): the next thing to type is the quantity.
            self.fields["variant"].widget.attrs.pop("autofocus", None)
            for name in ("quantity", "delta", "counted"):
                if name in self.fields:
                    self.fields[name].widget.attrs["autofocus"] = True
                    break


class ReceiveStockForm(_StockForm):
    location = forms.ModelChoiceField(label=_("Location"), queryset=_locations(), empty_label=None)
    quantity = forms.IntegerField(label=_("Quantity received"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(
        label=_("Reference"), max_length=200, required=False, help_text=_("Delivery note or purchase order, optional.")
    )


ADJUST_REASONS = [
    ("damaged", _("Damaged")),
    ("lost", _("Lost")),
    ("found", _("Found")),
    ("correction", _("Count correction")),
]
# Damaged or lost stock leaves the shelf, found stock comes back; a correction goes either way.
_REASON_SIGN = {"damaged": -1, "lost": -1, "found": 1}


class AdjustStockForm(_StockForm):
    location = forms.ModelChoiceField(label=_("Location"), queryset=_locations(), empty_label=None)
    delta = forms.IntegerField(
        label=_("Change"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Negative takes stock away (−2), positive adds it (3)."),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=ADJUST_REASONS)
    note = forms.CharField(label=_("Note"), max_length=150, required=False)

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."), code="zero")
        return delta

    def clean(self):
        cleaned = super().clean()
        delta, reason = cleaned.get("delta"), cleaned.get("reason")
        sign = _REASON_SIGN.get(reason)
        if delta and sign and (delta > 0) != (sign > 0):
            message = (
                _("Damaged or lost stock is taken away: enter a negative number.")
                if sign < 0
                else _("Found stock is added: enter a positive number.")
            )
            self.add_error("delta", message)
        return cleaned

    @property
    def reason_text(self) -> str:
        """What the ledger records: the reason's label and the note."""
        label = str(dict(ADJUST_REASONS)[self.cleaned_data["reason"]])
        note = self.cleaned_data.get("note", "").strip()
        return f"{label}: {note}" if note else label


class CountStockForm(_StockForm):
    location = forms.ModelChoiceField(label=_("Location"), queryset=_locations(), empty_label=None)
    counted = forms.IntegerField(label=_("Counted on the shelf"), min_value=0, max_value=1_000_000)


class TransferStockForm(_StockForm):
    from_location = forms.ModelChoiceField(label=_("From"), queryset=_locations(), empty_label=None)
    to_location = forms.ModelChoiceField(label=_("To"), queryset=_locations(), empty_label=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and "to_location" not in self.initial:
            # A transfer goes somewhere else: preselect the second location, not the first twice.
            second = self.fields["to_location"].queryset.values_list("pk", flat=True)[1:2]
            if second:
                self.initial["to_location"] = second[0]


# ------------------------------------------------------------------------------
# Stock count import (CSV)
# ------------------------------------------------------------------------------
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
IMPORT_COLUMNS = ("sku", "location", "counted")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class CountRow:
    line: int
    variant: Variant
    location: Location
    counted: int


class StockCountImportForm(_BootstrapForm):
    """A stock count as CSV (``sku,location,counted``), all rows checked before any is applied.

    Checking reads the whole file with three queries (variants, locations, levels) however
    many rows it has; ``row_errors`` lists every bad row with its line number, so the
    person fixes the file once rather than row by row.
    """

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: sku, location (the location's code), counted. The first line names the columns."),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_errors: list[RowError] = []
        self.rows: list[CountRow] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; split it into smaller counts."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text; save it as “CSV UTF-8”.")) from exc
        if "\x00" in text:  # no SKU or location code holds one, and PostgreSQL cannot compare text with it
            raise forms.ValidationError(_("This is not a CSV file (it holds binary data); save it as CSV."))
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        missing = [column for column in IMPORT_COLUMNS if column not in header]
        if missing:
            raise forms.ValidationError(
                _("The first line must name the columns sku, location, counted; missing: %(missing)s.")
                % {"missing": ", ".join(missing)}
            )
        reader.fieldnames = header
        raw = [
            (reader.line_num, row)
            for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))
        ]
        if not raw:
            raise forms.ValidationError(_("The file has no rows to import."))
        if len(raw) > MAX_IMPORT_ROWS:
            raise forms.ValidationError(_("The file has more than %(max)s rows; split it.") % {"max": MAX_IMPORT_ROWS})
        self._check_rows(raw)
        if self.row_errors:
            count = len(self.row_errors)
            raise forms.ValidationError(
                ngettext_lazy(
                    "%(count)s row has errors; nothing was imported. Fix it and upload the file again.",
                    "%(count)s rows have errors; nothing was imported. Fix them and upload the file again.",
                    count,
                )
                % {"count": count},
                code="rows",
            )
        return upload

    def _check_rows(self, raw: list[tuple[int, dict]]) -> None:
        skus = {(row.get("sku") or "").strip() for _line, row in raw}
        codes = {(row.get("location") or "").strip() for _line, row in raw}
        variants = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
        locations = {loc.code: loc for loc in Location.objects.filter(code__in=codes)}
        reserved = {
            (variant_id, location_id): value
            for variant_id, location_id, value in StockLevel.objects.filter(
                variant__sku__in=skus, location__code__in=codes
            ).values_list("variant_id", "location_id", "reserved")
        }
        seen: dict[tuple[str, str], int] = {}
        for line, row in raw:
            sku = (row.get("sku") or "").strip()
            code = (row.get("location") or "").strip()
            counted_text = (row.get("counted") or "").strip()
            problems = []
            variant, location = variants.get(sku), locations.get(code)
            if variant is None:
                problems.append(_("unknown SKU “%(sku)s”") % {"sku": sku} if sku else _("the SKU is empty"))
            if location is None:
                problems.append(
                    _("unknown location “%(code)s”") % {"code": code} if code else _("the location is empty")
                )
            try:
                counted = int(counted_text)
            except ValueError:
                counted = None
                problems.append(_("counted “%(value)s” is not a whole number") % {"value": counted_text})
            else:
                if counted < 0:
                    problems.append(_("counted %(value)s is negative") % {"value": counted})
            if (sku, code) in seen:
                problems.append(
                    _("the same SKU and location are already on line %(line)s") % {"line": seen[(sku, code)]}
                )
            seen.setdefault((sku, code), line)
            if not problems and counted < reserved.get((variant.pk, location.pk), 0):
                problems.append(
                    _("%(reserved)s are reserved for orders; a count of %(counted)s is below that")
                    % {"reserved": reserved[(variant.pk, location.pk)], "counted": counted}
                )
            if problems:
                self.row_errors.append(RowError(line=line, message="; ".join(str(p) for p in problems)))
            else:
                self.rows.append(CountRow(line=line, variant=variant, location=location, counted=counted))

    def apply(self, *, by) -> dict:
        return import_stock_count(counts=[(r.variant, r.location, r.counted) for r in self.rows], by=by)
