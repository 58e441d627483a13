"""Discount codes: preview a code, redeem it inside the placing transaction, release it, make incentives.

``check_discount_code`` only reads: the storefront's checkout, the staff order entry and the
API call it to show what a code is worth, or why it is refused. ``redeem_discount_code``
runs inside the transaction that places the order: it locks the code's row
(``select_for_update``), checks everything again on the locked row, counts the use with a
guarded ``UPDATE`` (``times_used < usage_limit``) and writes the redemption. Two orders racing
for the last use of a code therefore wait for each other on PostgreSQL, and the second one
is refused; on SQLite, whose write transactions already run one at a time, the guarded
UPDATE and the ``discountcode_within_usage_limit`` constraint hold the line.

A cancelled order gives its use back (``release_discount_code``): the redemption row is
kept, stamped ``released_at``, and no longer counts towards the limits.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog.exceptions import DiscountCodeRefused
from catalog.models import Channel, DiscountCode, DiscountKind, DiscountRedemption, normalise_code
from catalog.money import HUNDRED, ZERO, quantize

# Letters and digits that cannot be mistaken for one another when read from an e-mail.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INCENTIVE_CODE_LENGTH = 12  # 32**12 = 2**60 codes: not guessable


@dataclass(frozen=True)
class DiscountQuote:
    """What a code is worth for a given order: a percentage of the goods or a fixed amount off."""

    code: str
    kind: str
    value: Decimal
    amount: Decimal  # the discount on ``subtotal`` (net); placing splits it per VAT rate
    discount: DiscountCode

    @property
    def percent(self) -> Decimal:
        return self.value if self.kind == DiscountKind.PERCENT else ZERO

    @property
    def fixed_amount(self) -> Decimal:
        return self.value if self.kind == DiscountKind.FIXED else ZERO

    @property
    def label(self) -> str:
        if self.kind == DiscountKind.PERCENT:
            return _("%(code)s: %(value)s %% off") % {"code": self.code, "value": format(self.value.normalize(), "f")}
        return _("%(code)s: %(value)s off") % {"code": self.code, "value": self.value}


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _refusal(
    discount: DiscountCode | None,
    *,
    typed: str,
    channel: Channel,
    email: str,
    subtotal: Decimal,
    currency: str,
    now: datetime,
    exclude_order_id: int | None = None,
) -> DiscountCodeRefused | None:
    """Why this code cannot be used for this order, or None. Reads the redemptions for the per-customer limit."""
    if discount is None:
        return DiscountCodeRefused(_("There is no discount code “%(code)s”.") % {"code": typed}, reason="unknown")
    code = discount.code
    if not discount.is_active:
        return DiscountCodeRefused(_("The code %(code)s is no longer valid.") % {"code": code}, reason="inactive")
    if discount.valid_from and now < discount.valid_from:
        return DiscountCodeRefused(
            _("The code %(code)s is valid from %(when)s.") % {"code": code, "when": _when(discount.valid_from)},
            reason="not_yet_valid",
        )
    if discount.valid_until and now >= discount.valid_until:
        return DiscountCodeRefused(
            _("The code %(code)s expired on %(when)s.") % {"code": code, "when": _when(discount.valid_until)},
            reason="expired",
        )
    channel_ids = {c.pk for c in discount.channels.all()}
    if channel_ids and channel.pk not in channel_ids:
        return DiscountCodeRefused(
            _("The code %(code)s cannot be used on %(channel)s.") % {"code": code, "channel": channel.name},
            reason="channel",
        )
    if subtotal < discount.min_subtotal_amount:
        return DiscountCodeRefused(
            _("The code %(code)s needs goods worth at least %(minimum)s %(currency)s (net); now %(subtotal)s.")
            % {
                "code": code,
                "minimum": discount.min_subtotal_amount,
                "currency": currency,
                "subtotal": quantize(subtotal),
            },
            reason="minimum",
        )
    if discount.usage_limit is not None and discount.times_used >= discount.usage_limit:
        return DiscountCodeRefused(_("The code %(code)s has been used up.") % {"code": code}, reason="used_up")
    if discount.per_customer_limit is not None:
        if not email:
            return DiscountCodeRefused(
                _("The code %(code)s can be used a limited number of times per customer: give an e-mail address.")
                % {"code": code},
                reason="email_needed",
            )
        used = discount.redemptions.filter(email=email, released_at__isnull=True)
        if exclude_order_id is not None:
            used = used.exclude(order_id=exclude_order_id)
        if used.count() >= discount.per_customer_limit:
            return DiscountCodeRefused(
                _("You have already used the code %(code)s.") % {"code": code}
                if discount.per_customer_limit == 1
                else _("You have already used the code %(code)s %(count)s times, as often as it allows.")
                % {"code": code, "count": discount.per_customer_limit},
                reason="already_used",
            )
    return None


def _quote(discount: DiscountCode, *, subtotal: Decimal) -> DiscountQuote:
    if discount.kind == DiscountKind.PERCENT:
        amount = quantize(subtotal * discount.value / HUNDRED)
    else:
        amount = min(discount.value, quantize(subtotal))
    return DiscountQuote(
        code=discount.code, kind=discount.kind, value=discount.value, amount=max(amount, ZERO), discount=discount
    )


def check_discount_code(
    *, code: str, channel: Channel, email: str = "", subtotal: Decimal, now: datetime | None = None
) -> DiscountQuote:
    """What ``code`` is worth on an order of ``subtotal`` (net goods) on ``channel``; writes nothing.

    Raises ``DiscountCodeRefused`` saying why the code cannot be used: unknown, no longer
    valid, not yet valid, expired, not on this channel, below its minimum (named), used up,
    already used by this customer (by e-mail).
    """
    now = now or timezone.now()
    typed = normalise_code(code)
    discount = DiscountCode.objects.prefetch_related("channels").filter(code=typed).first() if typed else None
    refused = _refusal(
        discount,
        typed=typed,
        channel=channel,
        email=_normalise_email(email),
        subtotal=Decimal(subtotal),
        currency=channel.price_list.currency,
        now=now,
    )
    if refused is not None:
        raise refused
    return _quote(discount, subtotal=Decimal(subtotal))


@transaction.atomic
def redeem_discount_code(
    *,
    code: str,
    order_id: int,
    channel: Channel,
    email: str = "",
    subtotal: Decimal,
    amount: Decimal,
    now: datetime | None = None,
) -> DiscountRedemption:
    """Count one use of ``code`` by the order ``order_id``; call it inside the placing transaction.

    The code's row stays locked until that transaction ends, so a code with one use left
    goes to exactly one of two orders placed at the same moment; the other gets
    ``DiscountCodeRefused`` (and its transaction, rolled back, leaves nothing behind).
    """
    now = now or timezone.now()
    typed = normalise_code(code)
    email = _normalise_email(email)
    discount = DiscountCode.objects.select_for_update().filter(code=typed).first() if typed else None
    refused = _refusal(
        discount,
        typed=typed,
        channel=channel,
        email=email,
        subtotal=Decimal(subtotal),
        currency=channel.price_list.currency,
        now=now,
        exclude_order_id=order_id,
    )
    if refused is not None:
        raise refused
    counted = DiscountCode.objects.filter(
        Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")), pk=discount.pk
    ).update(times_used=F("times_used") + 1)
    if not counted:  # only reachable where the row lock is not (SQLite runs writers one at a time anyway)
        raise DiscountCodeRefused(_("The code %(code)s has been used up.") % {"code": discount.code}, reason="used_up")
    return DiscountRedemption.objects.create(code=discount, order_id=order_id, email=email, amount=quantize(amount))


@transaction.atomic
def release_discount_code(*, order_id: int, now: datetime | None = None) -> DiscountRedemption | None:
    """Give back the use an order made of its code (the order was cancelled); safe to call twice.

    The redemption is kept, stamped ``released_at``, and no longer counts towards the limits.
    """
    redemption = (
        DiscountRedemption.objects.select_for_update().filter(order_id=order_id, released_at__isnull=True).first()
    )
    if redemption is None:
        return None
    redemption.released_at = now or timezone.now()
    redemption.save(update_fields=["released_at"])
    DiscountCode.objects.filter(pk=redemption.code_id, times_used__gt=0).update(times_used=F("times_used") - 1)
    return redemption


def _random_code(prefix: str) -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _i in range(INCENTIVE_CODE_LENGTH))
    prefix = normalise_code(prefix)
    return f"{prefix}-{body}" if prefix else body


@transaction.atomic
def create_incentive_code(
    *,
    kind: str,
    value: Decimal,
    valid_days: int,
    prefix: str = "BACK",
    channels: list[Channel] | None = None,
    description: str = "",
    now: datetime | None = None,
) -> DiscountCode:
    """A single-use code with a random, unguessable body (60 bits), valid for ``valid_days``.

    Made per abandoned cart for its reminder e-mail. Raises ``DiscountCodeRefused`` for a
    kind, value or validity that cannot make a code.
    """
    if kind not in DiscountKind.values:
        raise DiscountCodeRefused(_("Choose percent or fixed amount."), reason="invalid")
    value = Decimal(value)
    if value <= 0 or (kind == DiscountKind.PERCENT and value > HUNDRED):
        raise DiscountCodeRefused(
            _("The incentive must be above zero (and at most 100 for a percentage)."), reason="invalid"
        )
    if valid_days < 1:
        raise DiscountCodeRefused(_("The incentive must stay valid at least one day."), reason="invalid")
    now = now or timezone.now()
    while True:
        candidate = _random_code(prefix)
        if not DiscountCode.objects.filter(code=candidate).exists():  # 2**60: a clash is all but impossible
            break
    discount = DiscountCode.objects.create(
        code=candidate,
        description=description or _("Abandoned-cart incentive"),
        kind=kind,
        value=quantize(value),
        valid_from=now,
        valid_until=now + timedelta(days=valid_days),
        usage_limit=1,
        is_incentive=True,
    )
    if channels:
        discount.channels.set(channels)
    return discount


EDITABLE_FIELDS = (
    "code",
    "description",
    "kind",
    "value",
    "min_subtotal_amount",
    "valid_from",
    "valid_until",
    "usage_limit",
    "per_customer_limit",
    "is_active",
)


@transaction.atomic
def save_discount_code(
    *, discount: DiscountCode | None = None, values: dict, channels: list[Channel] | None = None, by=None
) -> DiscountCode:
    """Create a code (``discount=None``) or change one, under its row lock.

    Refused (``DiscountCodeRefused``, ``reason`` naming the field) when the code exists
    already, when a used code would be renamed (orders name it), or when the total limit
    would fall below the uses it has had.
    """
    values = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    if "code" in values:
        values["code"] = normalise_code(values["code"])
    if discount is not None:
        discount = DiscountCode.objects.select_for_update().get(pk=discount.pk)
        if discount.times_used and values.get("code", discount.code) != discount.code:
            raise DiscountCodeRefused(
                _("The code %(code)s has been used: it cannot be renamed.") % {"code": discount.code}, reason="code"
            )
        limit = values.get("usage_limit", discount.usage_limit)
        if limit is not None and limit < discount.times_used:
            raise DiscountCodeRefused(
                _("It has been used %(count)s times already; the limit cannot be lower.")
                % {"count": discount.times_used},
                reason="usage_limit",
            )
    else:
        discount = DiscountCode()
    code = values.get("code", discount.code)
    if DiscountCode.objects.filter(code=code).exclude(pk=discount.pk).exists():
        raise DiscountCodeRefused(_("The code %(code)s exists already.") % {"code": code}, reason="code")
    for name, value in values.items():
        setattr(discount, name, value)
    try:
        with transaction.atomic():  # a twin created at the same moment: the unique constraint decides
            discount.save()
    except IntegrityError as exc:
        raise DiscountCodeRefused(_("The code %(code)s exists already.") % {"code": code}, reason="code") from exc
    if channels is not None:
        discount.channels.set(channels)
    return discount


@transaction.atomic
def set_discount_code_active(*, discount: DiscountCode, active: bool, by=None) -> DiscountCode:
    """Deactivate a code (it is refused from now on, its history stays) or make it usable again."""
    discount = DiscountCode.objects.select_for_update().get(pk=discount.pk)
    if discount.is_active != active:
        discount.is_active = active
        discount.save(update_fields=["is_active", "updated_at"])
    return discount
