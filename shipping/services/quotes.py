"""What shipping costs: one service that checkout, staff order entry and the API all use."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from catalog.models import Channel
from catalog.money import ZERO, quantize
from inventory.models import Location
from shipping.exceptions import MethodNotAvailable
from shipping.models import ShippingMethod, ShippingMethodKind, ShippingRate


@dataclass(frozen=True)
class ShippingOption:
    """One way the customer can get the order, with its price; pickup names its location."""

    method: ShippingMethod
    price: Decimal
    location: Location | None = None

    @property
    def label(self) -> str:
        if self.location is not None:
            return _("%(method)s: %(location)s") % {"method": self.method.name, "location": self.location.name}
        return self.method.name


def _serves_channel(method: ShippingMethod, channel: Channel) -> bool:
    # A method with no channels ticked is offered everywhere.
    channel_ids = [c.pk for c in method.channels.all()]
    return not channel_ids or channel.pk in channel_ids


def _band_price(method: ShippingMethod, weight_grams: int) -> Decimal | None:
    """The flat price, or the smallest weight band that holds the parcel (None: too heavy)."""
    rates = sorted(method.rates.all(), key=lambda r: r.max_weight_grams)
    if not rates:
        return method.price_amount
    for rate in rates:
        if weight_grams <= rate.max_weight_grams:
            return rate.price_amount
    return None


def quote_shipping(*, method: ShippingMethod, channel: Channel, subtotal: Decimal, weight_grams: int) -> Decimal:
    """The net shipping price of an order of ``subtotal`` (net, after discount) weighing ``weight_grams``.

    Pickup is free; delivery is free from the method's threshold on, else the flat price or
    the weight band. Refuses (``MethodNotAvailable``) a method that is inactive, not offered on
    the channel, or cannot carry the weight, so no caller can price what cannot be shipped.
    """
    if weight_grams < 0 or subtotal < 0:
        raise MethodNotAvailable(_("Weight and subtotal cannot be negative."))
    if not method.is_active:
        raise MethodNotAvailable(_("%(method)s is not offered any more.") % {"method": method.name}, field="method")
    if not _serves_channel(method, channel):
        raise MethodNotAvailable(
            _("%(method)s is not offered on %(channel)s.") % {"method": method.name, "channel": channel.name},
            field="method",
        )
    if method.kind == ShippingMethodKind.PICKUP:
        return ZERO
    price = _band_price(method, weight_grams)
    if price is None:
        raise MethodNotAvailable(
            _("%(method)s cannot carry %(weight)s g.") % {"method": method.name, "weight": weight_grams},
            field="method",
        )
    if method.free_above_amount is not None and subtotal >= method.free_above_amount:
        return ZERO
    return quantize(price)


def _methods():
    return ShippingMethod.objects.filter(is_active=True).prefetch_related(
        "channels", Prefetch("rates", queryset=ShippingRate.objects.order_by("max_weight_grams"))
    )


def list_pickup_locations(*, channel: Channel | None = None):
    """Active pickup points; a location that serves named channels is offered on those only."""
    qs = Location.objects.filter(is_active=True, is_pickup_point=True)
    if channel is not None:
        qs = qs.filter(Q(channels=channel) | Q(channels__isnull=True)).distinct()
    return qs.order_by("priority", "name")


def list_shipping_options(*, channel: Channel, subtotal: Decimal, weight_grams: int) -> list[ShippingOption]:
    """Every way this order can go on this channel, cheapest first; pickup once per pickup point.

    Methods that cannot carry the parcel are left out rather than refused.
    """
    options: list[ShippingOption] = []
    pickup_locations = None
    for method in _methods():
        try:
            price = quote_shipping(method=method, channel=channel, subtotal=subtotal, weight_grams=weight_grams)
        except MethodNotAvailable:
            continue
        if method.kind == ShippingMethodKind.PICKUP:
            if pickup_locations is None:
                pickup_locations = list(list_pickup_locations(channel=channel))
            options.extend(ShippingOption(method=method, price=price, location=loc) for loc in pickup_locations)
        else:
            options.append(ShippingOption(method=method, price=price))
    options.sort(key=lambda o: (o.price, o.method.kind != ShippingMethodKind.DELIVERY, o.label))
    return options
