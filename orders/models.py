"""Customers and orders: the record of every sale, whatever its source.

An order has three axes. ``status`` is the lifecycle the merchant steers, and moves only
along ``ORDER_TRANSITIONS`` through ``orders.services``. ``payment_status`` and
``fulfilment_status`` are derived from payments and shipments by the services that record
those, never set by hand.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import TimeStampedModel, store_currency


class Customer(TimeStampedModel):
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=40, blank=True)
    group = models.ForeignKey(
        "catalog.CustomerGroup",
        verbose_name=_("customer group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        help_text=_("Wholesale on terms: invoiced at placement, due after this many days."),
    )
    accepts_marketing = models.BooleanField(_("accepts marketing e-mail"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="customer_email_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.company_name or self.email or _("Walk-in customer")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE", help_text=_("ISO 3166 two-letter code"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_default_shipping = models.BooleanField(_("default shipping address"), default=False)
    is_default_billing = models.BooleanField(_("default billing address"), default=False)

    class Meta:
        ordering = ["-is_default_shipping", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.name}, {self.line1}, {self.postal_code} {self.city}"

    def as_snapshot(self) -> dict[str, str]:
        fields = ("name", "company", "line1", "line2", "postal_code", "city", "country", "phone")
        return {f: getattr(self, f) for f in fields}


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PLACED = "placed", _("Placed")
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class PaymentChoice(models.TextChoices):
    """How the customer said they would pay, as chosen at checkout ("" when nobody said).

    Not a payment: ``payment_status`` and billing's payments say what has been paid. The
    choice tells billing how to chase an unpaid order: one to be paid at pickup is paid at the
    counter when collected, so it is neither reminded nor cancelled for being unpaid.
    """

    NOT_GIVEN = "", _("Not given")
    ONLINE = "online", _("Pay online")
    AT_PICKUP = "at_pickup", _("Pay at pickup")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ON_TERMS = "on_terms", _("On payment terms (invoice)")


class FulfilmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("Unfulfilled")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
    FULFILLED = "fulfilled", _("Fulfilled")
    DELIVERED = "delivered", _("Delivered")


# The one table of allowed status changes; read by the services, the forms, the admin and
# the README's diagram (a test keeps the diagram and this table in step).
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.PLACED, OrderStatus.CANCELLED}),
    OrderStatus.PLACED: frozenset({OrderStatus.PROCESSING, OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def new_tracking_code() -> str:
    """128 random bits, URL-safe: the customer's only key to their order."""
    return secrets.token_urlsafe(16)


class OrderQuerySet(models.QuerySet):
    def placed(self):
        """Orders that count as sales: placed and not cancelled (drafts are not sales)."""
        return self.exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])

    def open(self):
        """Orders someone still has to act on."""
        return self.filter(status__in=[OrderStatus.PLACED, OrderStatus.PROCESSING])


class Order(TimeStampedModel):
    Status = OrderStatus
    PaymentStatus = PaymentStatus
    PaymentChoice = PaymentChoice
    FulfilmentStatus = FulfilmentStatus

    # NULL until placed: drafts have no number, and unique ignores NULLs.
    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)  # noqa: DJ001
    tracking_code = models.CharField(
        _("tracking code"), max_length=32, unique=True, default=new_tracking_code, editable=False
    )
    channel = models.ForeignKey(
        "catalog.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="orders"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)

    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.DRAFT, db_index=True
    )
    payment_status = models.CharField(
        _("payment status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID, db_index=True
    )
    fulfilment_status = models.CharField(
        _("fulfilment status"),
        max_length=20,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.UNFULFILLED,
        db_index=True,
    )
    payment_choice = models.CharField(
        _("chosen way to pay"),
        max_length=20,
        choices=PaymentChoice.choices,
        default=PaymentChoice.NOT_GIVEN,
        blank=True,
        help_text=_("How the customer said they would pay at checkout; what has been paid is the payment status."),
    )

    # Snapshot of who ordered and where it goes, as they were when the order was placed.
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)

    shipping_method = models.ForeignKey(
        "shipping.ShippingMethod",
        verbose_name=_("shipping method"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    pickup_location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("pickup location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pickup_orders",
    )

    currency = models.CharField(_("currency"), max_length=3, default=store_currency)
    subtotal_amount = models.DecimalField(_("subtotal (net)"), max_digits=12, decimal_places=2, default=0)
    discount_amount = models.DecimalField(_("discount (net)"), max_digits=12, decimal_places=2, default=0)
    shipping_amount = models.DecimalField(_("shipping (net)"), max_digits=12, decimal_places=2, default=0)
    shipping_tax_rate = models.DecimalField(_("shipping VAT rate (%)"), max_digits=5, decimal_places=2, default=0)
    tax_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("The percentage taken off the goods (a manual discount or a percentage code); 0 for none."),
    )
    prices_include_tax = models.BooleanField(
        _("prices include VAT"),
        default=False,
        help_text=_("Priced from a list with VAT included: the gross total is what the customer saw."),
    )
    vat_breakdown = models.JSONField(
        _("VAT breakdown"),
        default=list,
        blank=True,
        help_text=_("Per VAT rate: the taxable amount and its VAT, as the totals were worked out."),
    )

    discount_code = models.CharField(
        _("discount code"), max_length=40, blank=True, help_text=_("The code the order used, as typed in upper case.")
    )
    notes = models.TextField(_("internal notes"), blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False, db_index=True)
    review_reasons = models.JSONField(_("review reasons"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed"), null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["channel", "placed_at"], name="order_channel_placed"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(
                condition=Q(payment_status__in=PaymentStatus.values), name="order_payment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(fulfilment_status__in=FulfilmentStatus.values), name="order_fulfilment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payment_choice__in=PaymentChoice.values), name="order_payment_choice_valid"
            ),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="order_total_not_negative"),
            models.UniqueConstraint(
                fields=["channel", "external_reference"],
                condition=~Q(external_reference=""),
                name="order_unique_channel_external_reference",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED]) | Q(number__isnull=False),
                name="order_number_once_placed",
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft %(id)s") % {"id": self.pk}

    def can_become(self, new_status: str) -> bool:
        return new_status in ORDER_TRANSITIONS[self.status]

    @property
    def is_pickup(self) -> bool:
        return self.pickup_location_id is not None


class OrderLine(models.Model):
    """One variant on an order, with the names, price and tax as they were when sold."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), null=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    product_name = models.CharField(_("product"), max_length=200)
    variant_name = models.CharField(_("variant"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_backordered = models.PositiveIntegerField(_("backordered"), default=0)
    unit_price_amount = models.DecimalField(_("unit price (net)"), max_digits=12, decimal_places=2)
    unit_gross_amount = models.DecimalField(
        _("unit price (gross)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The price with VAT as the customer saw it, when the price list includes VAT."),
    )
    tax_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    tax_category = models.CharField(_("VAT category"), max_length=2, default="S")
    line_total_amount = models.DecimalField(_("line total (net)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_backordered__lte=models.F("quantity")), name="orderline_backorder_within_quantity"
            ),
            models.CheckConstraint(condition=Q(unit_price_amount__gte=0), name="orderline_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def description(self) -> str:
        return f"{self.product_name} {self.variant_name}".strip()


class OrderEventKind(models.TextChoices):
    STATUS = "status", _("Status changed")
    PLACED = "placed", _("Placed")
    NOTE = "note", _("Note")
    EDITED = "edited", _("Edited")
    PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
    REFUNDED = "refunded", _("Refunded")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
    EMAIL_SENT = "email_sent", _("E-mail sent")
    SHIPMENT = "shipment", _("Shipment")
    STOCK = "stock", _("Stock")


class OrderEvent(models.Model):
    """The order's timeline: who did what, when. Append-only."""

    Kind = OrderEventKind
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=OrderEventKind.choices)
    old_value = models.CharField(_("from"), max_length=40, blank=True)
    new_value = models.CharField(_("to"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message or self.new_value}"


class SavedOrderView(models.Model):
    """A user's named set of order-list filters, shown as a tab above the list.

    Only the query string is stored, so a view is exactly the bookmarkable URL the user
    saved: it keeps working as filters are added, and an unknown parameter is ignored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_order_views"
    )
    name = models.CharField(_("name"), max_length=60)
    query_string = models.CharField(_("filters"), max_length=1000, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("saved order view")
        verbose_name_plural = _("saved order views")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_order_view_unique_name_per_user"),
        ]

    def __str__(self) -> str:
        return self.name


class BlockedContactKind(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    ADDRESS = "address", _("Postal address")


class BlockedContact(models.Model):
    """An e-mail or a postal address whose orders are held for a person to review."""

    Kind = BlockedContactKind
    kind = models.CharField(_("kind"), max_length=10, choices=BlockedContactKind.choices)
    value = models.CharField(
        _("value"), max_length=300, help_text=_("An e-mail address, or “street, postal code” of an address.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("blocked contact")
        verbose_name_plural = _("blocked contacts")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="blockedcontact_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        self.value = normalise_contact(self.value)
        super().save(*args, **kwargs)


def normalise_contact(value: str) -> str:
    """Lower case, single spaces: "Hauptstr. 1,  10115" and "hauptstr. 1, 10115" are one entry."""
    return " ".join(value.lower().split())


# ------------------------------------------------------------------------------
# Storefront carts: tracked step by step, reminded when left behind
# ------------------------------------------------------------------------------


class CartStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONVERTED = "converted", _("Converted to an order")


class CartStage(models.TextChoices):
    """How far a cart got, in funnel order; ``Cart.stage`` only ever moves forward."""

    CART = "cart", _("Items in cart")
    CHECKOUT = "checkout", _("Checkout started")
    DETAILS = "details", _("Details given")
    SHIPPING = "shipping", _("Shipping chosen")
    PAYMENT = "payment", _("Payment started")
    PLACED = "placed", _("Order placed")


CART_STAGE_ORDER: list[str] = list(CartStage.values)


class CartEventKind(models.TextChoices):
    ITEM_ADDED = "item_added", _("Item added")
    ITEM_REMOVED = "item_removed", _("Item removed")
    QUANTITY_CHANGED = "quantity_changed", _("Quantity changed")
    CHECKOUT_STARTED = "checkout_started", _("Checkout started")
    DETAILS_GIVEN = "details_given", _("Details given")
    SHIPPING_CHOSEN = "shipping_chosen", _("Shipping chosen")
    PAYMENT_STARTED = "payment_started", _("Payment started")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    ORDER_PLACED = "order_placed", _("Order placed")
    REMINDED = "reminded", _("Reminder sent")
    RESTORED = "restored", _("Restored from a link")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from reminders")


# The stage each step moves a cart to (events not listed leave the stage alone).
CART_EVENT_STAGE: dict[str, str] = {
    CartEventKind.ITEM_ADDED: CartStage.CART,
    CartEventKind.CHECKOUT_STARTED: CartStage.CHECKOUT,
    CartEventKind.DETAILS_GIVEN: CartStage.DETAILS,
    CartEventKind.SHIPPING_CHOSEN: CartStage.SHIPPING,
    CartEventKind.PAYMENT_STARTED: CartStage.PAYMENT,
    CartEventKind.PAYMENT_FAILED: CartStage.PAYMENT,
    CartEventKind.ORDER_PLACED: CartStage.PLACED,
}


class Cart(models.Model):
    """A storefront cart: its lines, who it belongs to once known, and how far it got.

    ``token`` is the cart's unguessable key in the reminder's restore and unsubscribe links.
    ``reminders_sent`` is claimed with a guarded UPDATE before a reminder goes out, so each
    reminder is sent once however many workers run the task.
    """

    Status = CartStatus
    Stage = CartStage

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(
        "catalog.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="carts"
    )
    session_key = models.CharField(_("session"), max_length=64, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="carts"
    )
    reminder_consent = models.BooleanField(_("agreed to reminders"), default=False)
    unsubscribed = models.BooleanField(_("unsubscribed from reminders"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=CartStatus.choices, default=CartStatus.OPEN, db_index=True
    )
    stage = models.CharField(_("furthest step"), max_length=16, choices=CartStage.choices, default=CartStage.CART)
    order = models.OneToOneField(
        Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cart"
    )
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    incentive_code = models.CharField(_("incentive code"), max_length=40, blank=True)
    recovered = models.BooleanField(_("recovered"), default=False, help_text=_("Ordered after a reminder."))
    incentive_used = models.BooleanField(_("incentive used"), default=False)
    owner_alerted_at = models.DateTimeField(_("owner alerted"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        indexes = [models.Index(fields=["status", "last_activity_at"], name="cart_status_activity")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CartStatus.values), name="cart_status_valid"),
            models.CheckConstraint(condition=Q(stage__in=CartStage.values), name="cart_stage_valid"),
            models.CheckConstraint(
                condition=Q(status=CartStatus.OPEN) | Q(order__isnull=False) | Q(converted_at__isnull=False),
                name="cart_converted_has_order",
            ),
        ]

    def __str__(self) -> str:
        return _("Cart %(id)s") % {"id": self.pk}

    def stage_reached(self, stage: str) -> bool:
        return CART_STAGE_ORDER.index(self.stage) >= CART_STAGE_ORDER.index(stage)


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.CASCADE, related_name="cart_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


class CartEvent(models.Model):
    """One step of a cart, with its time: the funnel and the live feed read these. Append-only."""

    Kind = CartEventKind
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=CartEventKind.choices)
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cart event")
        verbose_name_plural = _("cart events")
        indexes = [models.Index(fields=["kind", "created_at"], name="cartevent_kind_created")]
        constraints = [models.CheckConstraint(condition=Q(kind__in=CartEventKind.values), name="cartevent_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.cart_id})"


class IdempotencyKeyStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class IdempotencyKey(models.Model):
    """An API request sent with an ``Idempotency-Key`` header, and the answer it got.

    Claimed (inserted, in progress) in its own committed transaction before the work starts,
    so that a twin arriving meanwhile finds it; completed with the response, or deleted when
    the work was refused, so that a corrected retry can go on. Keys are scoped per user (the
    token's owner) and kept at least ``API_IDEMPOTENCY_KEEP_HOURS``.
    """

    Status = IdempotencyKeyStatus
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("request fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and body")
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    status = models.CharField(
        _("status"), max_length=12, choices=IdempotencyKeyStatus.choices, default=IdempotencyKeyStatus.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_location = models.CharField(_("response location"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique_user_key"),
            models.CheckConstraint(
                condition=Q(status__in=IdempotencyKeyStatus.values), name="idempotencykey_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_status_display()})"


# The order import job (orders.import_jobs): imported here so that Django registers the table.
from orders.import_jobs import OrderImport, OrderImportStatus  # noqa: E402, F401
