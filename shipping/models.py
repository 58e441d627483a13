"""How orders leave: delivery methods and pickup, shipments, and their tracking events."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ShippingMethodKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    PICKUP = "pickup", _("Pickup in store")


class ShippingMethod(models.Model):
    Kind = ShippingMethodKind
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ShippingMethodKind.choices, default=ShippingMethodKind.DELIVERY
    )
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    price_amount = models.DecimalField(_("price (net)"), max_digits=12, decimal_places=2, default=0)
    free_above_amount = models.DecimalField(
        _("free above subtotal"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    channels = models.ManyToManyField(
        "catalog.Channel", verbose_name=_("channels"), related_name="shipping_methods", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "price_amount", "name"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="shippingmethod_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED = "returned", _("Returned to sender")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    PICKED_UP = "picked_up", _("Picked up")


# The one table of allowed shipment status changes: the services' gate, the detail page's
# actions and the tracking updates all read it. A carrier event that the table does not
# allow (a late "in transit" after "delivered") changes nothing.
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentStatus.PENDING: frozenset(
        {ShipmentStatus.PACKED, ShipmentStatus.SHIPPED, ShipmentStatus.READY_FOR_PICKUP, ShipmentStatus.PICKED_UP}
    ),
    ShipmentStatus.PACKED: frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.READY_FOR_PICKUP}),
    ShipmentStatus.SHIPPED: frozenset(
        {
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.OUT_FOR_DELIVERY,
            ShipmentStatus.DELIVERED,
            ShipmentStatus.EXCEPTION,
            ShipmentStatus.RETURNED,
        }
    ),
    ShipmentStatus.IN_TRANSIT: frozenset(
        {ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED}
    ),
    ShipmentStatus.OUT_FOR_DELIVERY: frozenset(
        {ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED}
    ),
    ShipmentStatus.EXCEPTION: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED}
    ),
    ShipmentStatus.DELIVERED: frozenset(),
    ShipmentStatus.RETURNED: frozenset(),
    ShipmentStatus.READY_FOR_PICKUP: frozenset({ShipmentStatus.PICKED_UP}),
    ShipmentStatus.PICKED_UP: frozenset(),
}
# Statuses in which the goods have left our shelf (stock consumed).
LEFT_US_STATUSES = frozenset(
    {
        ShipmentStatus.SHIPPED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.RETURNED,
        ShipmentStatus.PICKED_UP,
    }
)
# What a carrier can tell us once the parcel is on its way.
CARRIER_STATUSES = frozenset(
    {
        ShipmentStatus.SHIPPED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.RETURNED,
    }
)


class Shipment(models.Model):
    Status = ShipmentStatus
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments"
    )
    method = models.ForeignKey(
        ShippingMethod,
        verbose_name=_("method"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    location = models.ForeignKey(
        "inventory.Location", verbose_name=_("ships from"), on_delete=models.PROTECT, related_name="shipments"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING, db_index=True
    )
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("carrier tracking number"), max_length=100, blank=True, db_index=True)
    collected_by = models.CharField(_("collected by"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ShipmentStatus.values), name="shipment_status_valid")
        ]

    def __str__(self) -> str:
        return _("Shipment %(id)s") % {"id": self.pk}

    def can_become(self, new_status: str) -> bool:
        return new_status in SHIPMENT_TRANSITIONS[self.status]

    @property
    def allowed_transitions(self) -> frozenset[str]:
        return SHIPMENT_TRANSITIONS[self.status]

    @property
    def badge_status(self) -> str:
        """The colour family of the status badge (the stylesheet names families, not every status)."""
        return {
            ShipmentStatus.READY_FOR_PICKUP: "ready",
            ShipmentStatus.PICKED_UP: "delivered",
        }.get(self.status, self.status)


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_positive"),
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_unique_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"


class TrackingEventSource(models.TextChoices):
    MANUAL = "manual", _("Entered by staff")
    WEBHOOK = "webhook", _("Carrier webhook")
    CSV = "csv", _("CSV import")


class TrackingEvent(models.Model):
    """What the carrier (or staff) said about a shipment. Append-only."""

    Source = TrackingEventSource
    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=TrackingEventSource.choices, default=TrackingEventSource.MANUAL
    )
    external_id = models.CharField(_("carrier event id"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "external_id"],
                condition=~Q(external_id=""),
                name="trackingevent_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class ShippingRate(models.Model):
    """A weight band of a delivery method: parcels up to ``max_weight_grams`` cost ``price_amount``.

    A method without bands costs its flat ``price_amount``; with bands, the smallest band that
    holds the parcel decides, and a parcel heavier than every band cannot go by that method.
    """

    method = models.ForeignKey(ShippingMethod, verbose_name=_("method"), on_delete=models.CASCADE, related_name="rates")
    max_weight_grams = models.PositiveIntegerField(_("up to (g)"))
    price_amount = models.DecimalField(_("price (net)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["method", "max_weight_grams"]
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="shippingrate_price_not_negative"),
            models.UniqueConstraint(fields=["method", "max_weight_grams"], name="shippingrate_unique_band"),
        ]

    def __str__(self) -> str:
        return f"≤ {self.max_weight_grams} g: {self.price_amount}"


class CarrierKind(models.TextChoices):
    MANIFEST = "manifest", _("Daily CSV manifest")
    WEBHOOK = "webhook", _("Webhook (JSON POST)")


class CarrierAccount(models.Model):
    """How we talk to one carrier: how shipments are handed over, and the secret that signs tracking updates.

    ``name`` matches ``Shipment.carrier`` (case-insensitive). The same secret signs what we
    POST to the carrier and verifies what the carrier POSTs to our tracking webhook
    (HMAC-SHA256 over the raw body).
    """

    Kind = CarrierKind
    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Used in the tracking webhook URL."))
    name = models.CharField(_("carrier name"), max_length=60, unique=True)
    kind = models.CharField(_("hand-off"), max_length=10, choices=CarrierKind.choices, default=CarrierKind.MANIFEST)
    endpoint_url = models.URLField(_("webhook URL"), blank=True)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("carrier account")
        verbose_name_plural = _("carrier accounts")

    def __str__(self) -> str:
        return self.name


class CarrierHandoff(models.Model):
    """One shipment handed to its carrier once: the row is the "sent" flag a retried task checks."""

    shipment = models.OneToOneField(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="handoff"
    )
    carrier = models.ForeignKey(
        CarrierAccount, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="handoffs"
    )
    manifest_date = models.DateField(_("manifest date"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    response = models.TextField(_("carrier response"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("carrier hand-off")
        verbose_name_plural = _("carrier hand-offs")

    def __str__(self) -> str:
        return f"{self.shipment_id} → {self.carrier}"


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RECEIVED = "received", _("Received")


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    OTHER = "other", _("Other")


class ReturnCondition(models.TextChoices):
    SELLABLE = "sellable", _("Sellable: back to stock")
    DAMAGED = "damaged", _("Damaged: to the damaged-goods location")


class Return(models.Model):
    """Delivered goods the customer sends back; received items go back to stock or to damaged goods."""

    Status = ReturnStatus
    Reason = ReturnReason
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(
        _("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [models.CheckConstraint(condition=Q(status__in=ReturnStatus.values), name="return_status_valid")]

    def __str__(self) -> str:
        return _("Return %(id)s") % {"id": self.pk}


class ReturnLine(models.Model):
    Condition = ReturnCondition
    return_request = models.ForeignKey(Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    condition = models.CharField(
        _("condition"), max_length=10, choices=ReturnCondition.choices, default=ReturnCondition.SELLABLE
    )

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
            models.UniqueConstraint(fields=["return_request", "order_line"], name="returnline_unique_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"
