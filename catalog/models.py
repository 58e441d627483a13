"""The catalogue: what is sold, on which channel, at which price, with which tax."""

import logging
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


def store_currency() -> str:
    return settings.STORE_CURRENCY


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class TaxCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNCL5305) we use."""

    STANDARD = "S", _("Standard rate")
    ZERO = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt")


class TaxRate(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    category = models.CharField(
        _("VAT category"), max_length=2, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )

    class Meta:
        ordering = ["-rate"]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=100), name="taxrate_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate}%)"


class PriceList(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, default=store_currency)
    prices_include_tax = models.BooleanField(
        _("prices include VAT"),
        default=False,
        help_text=_(
            "On for a shop that shows gross prices (B2C): each price is entered with VAT included and the "
            "order works out the net amounts. Off: prices are net and VAT is added."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    description = models.TextField(_("description"), blank=True)
    tax_rate = models.ForeignKey(TaxRate, verbose_name=_("tax rate"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Variant(TimeStampedModel):
    """A sellable unit with its own SKU (a size, a colour)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("variant name"), max_length=100, blank=True, help_text=_("e.g. “M / Blue”"))
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    allow_backorder = models.BooleanField(
        _("allow backorder"), default=False, help_text=_("Accept orders when it is out of stock.")
    )
    low_stock_threshold = models.PositiveIntegerField(_("low stock threshold"), default=5)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.UniqueConstraint(fields=["barcode"], condition=~Q(barcode=""), name="variant_barcode_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.product.name} {self.name}".strip()


class Price(models.Model):
    """The unit price of a variant in a price list, from a quantity on (wholesale tiers): net,
    or gross when the list's ``prices_include_tax`` is on."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="prices"
    )
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="prices")
    min_quantity = models.PositiveIntegerField(_("from quantity"), default=1)
    amount = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Net, or with VAT included when the price list says its prices include VAT."),
    )

    class Meta:
        ordering = ["price_list", "variant", "min_quantity"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "variant", "min_quantity"], name="price_unique_tier"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="price_min_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} ≥{self.min_quantity}: {self.amount}"


class ChannelKind(models.TextChoices):
    WEB = "web", _("Web storefront")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    WHOLESALE = "wholesale", _("Wholesale (B2B)")
    MARKETPLACE = "marketplace", _("Marketplace / API")


class Channel(models.Model):
    """Where an order comes from; it has its own prices and its own catalogue."""

    Kind = ChannelKind
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="channels"
    )
    products = models.ManyToManyField(Product, verbose_name=_("products sold"), related_name="channels", blank=True)
    requires_payment = models.BooleanField(
        _("requires payment"), default=True, help_text=_("Unpaid orders are cancelled after the payment deadline.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


class CustomerGroup(models.Model):
    """A group of customers with their own price list (a B2B group overrides the channel's)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self) -> str:
        return self.name


class StoreSettings(models.Model):
    """The one row of the merchant's own details and business rules (``StoreSettings.load()``).

    Printed on invoices and e-mails, shown on the storefront; the rules below are read by the
    services that enforce them.
    """

    name = models.CharField(_("store name"), max_length=100, default="Backroom Demo Store")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=40, blank=True)
    registration = models.CharField(_("company registration"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    logo = models.ImageField(_("logo"), upload_to="store/", blank=True)
    invoice_series = models.CharField(_("invoice series"), max_length=10, default="INV")
    credit_note_series = models.CharField(_("credit note series"), max_length=10, default="CN")
    default_payment_terms_days = models.PositiveSmallIntegerField(_("default payment terms (days)"), default=14)
    unpaid_cancel_after_days = models.PositiveSmallIntegerField(
        _("cancel unpaid orders after (days)"),
        default=7,
        help_text=_("On channels that require payment; a reminder goes out a day before."),
    )
    staff_refund_limit = models.DecimalField(
        _("staff refund limit"),
        max_digits=12,
        decimal_places=2,
        default=100,
        help_text=_("Refunds above this amount need the Owner."),
    )
    staff_discount_limit_percent = models.DecimalField(
        _("staff discount limit (%)"), max_digits=5, decimal_places=2, default=10
    )
    review_first_order_above = models.DecimalField(
        _("review first orders above"), max_digits=12, decimal_places=2, default=500
    )
    abandoned_cart_after_minutes = models.PositiveIntegerField(_("abandoned cart after (minutes)"), default=60)
    # Abandoned-cart recovery (orders.services.carts): reminder n is due once the cart has been
    # idle for the first delay (n = 1), or for (n − 1) × the next delay (n ≥ 2).
    cart_reminders_max = models.PositiveSmallIntegerField(
        _("cart reminders per cart"),
        default=2,
        validators=[MaxValueValidator(5)],
        help_text=_("0 sends none."),
    )
    cart_first_reminder_after_hours = models.PositiveSmallIntegerField(
        _("first cart reminder after (hours)"), default=1, validators=[MinValueValidator(1)]
    )
    cart_next_reminder_after_hours = models.PositiveSmallIntegerField(
        _("next cart reminders after (hours)"), default=24, validators=[MinValueValidator(1)]
    )
    cart_incentive_enabled = models.BooleanField(
        _("discount code in cart reminders"),
        default=False,
        help_text=_("Each reminded cart gets its own single-use code."),
    )
    cart_incentive_kind = models.CharField(
        _("cart reminder discount kind"),
        max_length=10,
        choices=[("percent", _("Percent")), ("fixed", _("Fixed amount"))],
        default="percent",
    )
    cart_incentive_value = models.DecimalField(
        _("cart reminder discount value"),
        max_digits=12,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    cart_incentive_valid_days = models.PositiveSmallIntegerField(
        _("cart reminder code valid for (days)"), default=7, validators=[MinValueValidator(1)]
    )
    cart_alert_above = models.DecimalField(
        _("e-mail me about carts above"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Net value of the cart; leave empty for no e-mail."),
    )
    low_stock_digest = models.BooleanField(_("daily low-stock e-mail"), default=True)

    class Meta:
        verbose_name = _("store settings")
        verbose_name_plural = _("store settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="storesettings_single_row")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.forget_cached_name()

    def clean(self):
        super().clean()
        if self.cart_incentive_kind == "percent" and (self.cart_incentive_value or 0) > 100:
            raise ValidationError({"cart_incentive_value": _("A percentage can be at most 100.")})

    @classmethod
    def load(cls) -> "StoreSettings":
        """The row, or unsaved defaults until the owner saves the settings.

        Reading never writes the database: an INSERT here, inside an order's transaction, would make every
        other order wait on the uncommitted row until the first one commits.
        """
        store = cls.objects.filter(pk=1).first() or cls(pk=1, name=settings.STORE_NAME)
        # The row is at hand: keep its name for the page header, which then costs no query of its
        # own (written only when it differs: with the file cache a read is cheaper than a write).
        name = store.name or settings.STORE_NAME
        if _cache_get(STORE_NAME_CACHE_KEY) != name:
            _cache_set(STORE_NAME_CACHE_KEY, name)
        return store

    @classmethod
    def forget_cached_name(cls) -> None:
        """Drop the cached store name now and again once the change commits.

        Now, so this process reads the new name; on commit, so a page that read the old row
        while the transaction was open cannot leave the old name in the cache.
        """
        _cache_delete(STORE_NAME_CACHE_KEY)
        transaction.on_commit(lambda: _cache_delete(STORE_NAME_CACHE_KEY))

    @classmethod
    def cached_name(cls) -> str:
        """The store's name for page headers and e-mails, from Django's cache.

        A cold cache costs one query (the name alone), after which every page reads it from
        the cache; ``save()`` drops the key. ``settings.STORE_NAME`` without a row or name.
        """
        name = _cache_get(STORE_NAME_CACHE_KEY)
        if name is None:
            name = cls.objects.filter(pk=1).values_list("name", flat=True).first() or settings.STORE_NAME
            _cache_set(STORE_NAME_CACHE_KEY, name)
        return name


STORE_NAME_CACHE_KEY = "catalog:store-name:v1"
# save() drops the key; the timeout only bounds a change it cannot see (a raw UPDATE, or a
# load() that read the old row just before a save committed and wrote it back after).
STORE_NAME_CACHE_SECONDS = 10 * 60


def _cache_get(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception:  # the cache being down must not take the pages with it: read the database
        logger.warning("Cache unreachable; %s read from the database.", key, exc_info=True)
        return None


def _cache_set(key: str, value: str) -> None:
    try:
        cache.set(key, value, STORE_NAME_CACHE_SECONDS)
    except Exception:
        logger.warning("Cache unreachable; %s not kept.", key, exc_info=True)


def _cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Cache unreachable; could not drop %s.", key, exc_info=True)


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    FIXED = "fixed", _("Fixed amount off")


class DiscountCode(TimeStampedModel):
    """A code a customer (or staff for them) gives at checkout for money off the goods.

    The code is stored in upper case and unique whatever its case. ``times_used`` counts the
    redemptions that stand (a released one no longer counts); it moves only through
    ``catalog.services`` under the code's row lock, and the database refuses it past
    ``usage_limit``. No channel chosen means every channel.
    """

    Kind = DiscountKind
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Letters, digits and dashes; customers may type it in any case.")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DiscountKind.choices, default=DiscountKind.PERCENT)
    value = models.DecimalField(
        _("value"), max_digits=12, decimal_places=2, help_text=_("A percentage, or an amount off the net goods.")
    )
    min_subtotal_amount = models.DecimalField(_("minimum subtotal (net)"), max_digits=12, decimal_places=2, default=0)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True, help_text=_("Empty: no limit."))
    per_customer_limit = models.PositiveIntegerField(
        _("uses per customer"), null=True, blank=True, help_text=_("Counted by e-mail address. Empty: no limit.")
    )
    channels = models.ManyToManyField(
        Channel,
        verbose_name=_("channels"),
        related_name="discount_codes",
        blank=True,
        help_text=_("None chosen: every channel."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_incentive = models.BooleanField(
        _("single-use incentive"), default=False, help_text=_("Generated for one abandoned cart; usable once.")
    )
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.UniqueConstraint(Upper("code"), name="discountcode_code_unique_ci"),
            models.CheckConstraint(condition=Q(value__gt=0), name="discountcode_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind=DiscountKind.PERCENT) | Q(value__lte=100), name="discountcode_percent_at_most_100"
            ),
            models.CheckConstraint(condition=Q(kind__in=DiscountKind.values), name="discountcode_kind_valid"),
            models.CheckConstraint(condition=Q(min_subtotal_amount__gte=0), name="discountcode_min_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="discountcode_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="discountcode_within_usage_limit",
            ),
            models.CheckConstraint(
                condition=Q(is_incentive=False) | Q(usage_limit=1), name="discountcode_incentive_single_use"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = normalise_code(self.code)
        super().save(*args, **kwargs)

    @property
    def is_percent(self) -> bool:
        return self.kind == DiscountKind.PERCENT

    @property
    def uses_left(self) -> int | None:
        return None if self.usage_limit is None else max(self.usage_limit - self.times_used, 0)


def normalise_code(code: str) -> str:
    """What a customer types, as stored: no surrounding or inner spaces, upper case."""
    return "".join((code or "").split()).upper()


class DiscountRedemption(models.Model):
    """One use of a code by one order; released (not deleted) when the order is cancelled."""

    code = models.ForeignKey(DiscountCode, verbose_name=_("code"), on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discount_redemption",
    )
    email = models.EmailField(_("customer e-mail"), blank=True, db_index=True)
    amount = models.DecimalField(_("discount (net)"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("used"), auto_now_add=True, db_index=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("discount redemption")
        verbose_name_plural = _("discount redemptions")
        indexes = [models.Index(fields=["code", "email"], name="discountredemption_code_email")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="discountredemption_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.code_id} · {self.email or '—'} · {self.amount}"


# Outgoing webhooks (catalog.webhooks): imported here so that Django registers the tables.
from catalog.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
