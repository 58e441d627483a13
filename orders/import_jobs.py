"""The order import job: one uploaded marketplace CSV, from preview to report.

Imported into ``orders.models``. The rows are parsed and checked when the file is uploaded
(the preview), then a Celery task places the orders one by one
(``shipping.services.order_import``) and counts ``done`` so the page can show progress.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrderImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Checked, waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OrderImport(models.Model):
    Status = OrderImportStatus
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.TextField(_("file contents"))
    status = models.CharField(
        _("status"), max_length=10, choices=OrderImportStatus.choices, default=OrderImportStatus.PREVIEW
    )
    total = models.PositiveIntegerField(_("orders in the file"), default=0)
    done = models.PositiveIntegerField(_("orders processed"), default=0)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    results = models.JSONField(_("results"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderImportStatus.values), name="orderimport_status_valid"),
            models.CheckConstraint(condition=Q(done__lte=models.F("total")), name="orderimport_done_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.filename or _('Order import')} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (OrderImportStatus.DONE, OrderImportStatus.FAILED)

    def counts(self) -> dict[str, int]:
        tally = {"imported": 0, "refused": 0, "skipped": 0}
        for row in self.results or []:
            tally[row.get("outcome", "refused")] = tally.get(row.get("outcome", "refused"), 0) + 1
        return tally
