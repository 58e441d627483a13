"""Money received and documents issued. Issued invoices never change."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import store_currency


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card terminal")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    ONLINE = "online", _("Online")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    """Money in (a payment) or out (a refund) for one order; ``amount`` is always positive."""

    Method = PaymentMethod
    Kind = PaymentKind
    Status = PaymentStatus
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.VERIFIED)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=store_currency)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    tendered_amount = models.DecimalField(_("cash tendered"), max_digits=12, decimal_places=2, null=True, blank=True)
    change_amount = models.DecimalField(_("change given"), max_digits=12, decimal_places=2, default=0)
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("refund_above_limit", _("Can refund above the staff refund limit"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payment_unique_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", _("Rendering")
    READY = "ready", _("Ready")


class InvoiceSequence(models.Model):
    """The last number used per series and year; locked while a number is taken (gapless)."""

    series = models.CharField(_("series"), max_length=10)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="invoicesequence_unique_series_year")]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class Invoice(models.Model):
    """An issued invoice or credit note with a snapshot of everything printed on it."""

    Kind = InvoiceKind
    Status = InvoiceStatus
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    series = models.CharField(_("series"), max_length=10)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence_number = models.PositiveIntegerField(_("sequence number"))
    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING)
    currency = models.CharField(_("currency"), max_length=3, default=store_currency)
    net_amount = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    snapshot = models.JSONField(_("snapshot"), default=dict)
    issued_at = models.DateTimeField(_("issued"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/", blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    email_error = models.CharField(_("last e-mail error"), max_length=300, blank=True)
    email_queued_at = models.DateTimeField(_("e-mail queued"), null=True, blank=True, db_index=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "sequence_number"], name="invoice_unique_series_year_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def email_state(self) -> str:
        """queued / sent / failed / none: what the back-office shows next to the invoice."""
        if self.emailed_at:
            return "sent"
        if self.email_error:
            return "failed"
        if self.email_queued_at:
            return "queued"
        return "none"


class BulkJobKind(models.TextChoices):
    ZIP = "zip", _("Download as ZIP")
    RESEND = "resend", _("Re-send e-mails")


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InvoiceBulkJob(models.Model):
    """A bulk action on selected invoices, run by a Celery task in chunks.

    ``done`` counts the invoices handled so far (the progress bar); ``errors`` lists the
    invoices that were skipped and why; ``result_file`` is the ZIP's name in the media
    storage once it is complete.
    """

    Kind = BulkJobKind
    Status = BulkJobStatus
    kind = models.CharField(_("kind"), max_length=10, choices=BulkJobKind.choices)
    invoice_ids = models.JSONField(_("invoices"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    result_file = models.CharField(_("result file"), max_length=255, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk invoice job")
        verbose_name_plural = _("bulk invoice jobs")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=BulkJobKind.values), name="invoicebulkjob_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=BulkJobStatus.values), name="invoicebulkjob_status_valid"),
            models.CheckConstraint(condition=Q(done__lte=models.F("total")), name="invoicebulkjob_done_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in (BulkJobStatus.DONE, BulkJobStatus.FAILED)

    @property
    def is_failed(self) -> bool:
        return self.status == BulkJobStatus.FAILED
