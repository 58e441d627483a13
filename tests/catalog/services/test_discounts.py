"""Discount codes: every reason a code is refused, the limits, redeeming and releasing, incentives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.exceptions import DiscountCodeRefused
from catalog.models import DiscountCode, DiscountRedemption
from catalog.services import check_discount_code, create_incentive_code, redeem_discount_code, release_discount_code
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _refusal(**kwargs) -> DiscountCodeRefused:
    kwargs.setdefault("channel", ChannelFactory())
    kwargs.setdefault("subtotal", Decimal("100.00"))
    kwargs.setdefault("email", "ada@example.com")
    with pytest.raises(DiscountCodeRefused) as caught:
        check_discount_code(**kwargs)
    return caught.value


def test_a_code_is_quoted_whatever_its_case_and_spaces():
    # given
    DiscountCodeFactory(code="Summer10", value=Decimal("10.00"))
    # when
    quote = check_discount_code(code="  summer 10 ", channel=ChannelFactory(), email="", subtotal=Decimal("45.55"))
    # then
    assert quote.code == "SUMMER10"
    assert quote.percent == Decimal("10.00")
    assert quote.fixed_amount == Decimal("0")
    assert quote.amount == Decimal("4.56")  # 4.555 rounded half up
    assert "10 %" in quote.label


def test_a_fixed_code_is_never_worth_more_than_the_goods():
    DiscountCodeFactory(code="FIVE", kind=DiscountCode.Kind.FIXED, value=Decimal("5.00"))
    quote = check_discount_code(code="five", channel=ChannelFactory(), subtotal=Decimal("3.20"))
    assert quote.fixed_amount == Decimal("5.00")
    assert quote.amount == Decimal("3.20")


def test_codes_are_unique_whatever_their_case():
    DiscountCodeFactory(code="WELCOME")
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountCode.objects.create(code="welcome", value=Decimal("5.00"))
    # save() stores it in upper case; the constraint holds even for a raw lower-case update
    with pytest.raises(IntegrityError), transaction.atomic():
        other = DiscountCodeFactory(code="OTHER")
        DiscountCode.objects.filter(pk=other.pk).update(code="welcome")


def test_unknown_code():
    exc = _refusal(code="NOPE")
    assert exc.reason == "unknown"
    assert "NOPE" in exc.message


def test_an_empty_code_is_unknown():
    assert _refusal(code="   ").reason == "unknown"


def test_a_deactivated_code():
    DiscountCodeFactory(code="OLD", is_active=False)
    assert _refusal(code="OLD").reason == "inactive"


def test_expired_and_not_yet_valid():
    now = timezone.now()
    DiscountCodeFactory(code="PAST", valid_until=now - timedelta(minutes=1))
    DiscountCodeFactory(code="SOON", valid_from=now + timedelta(days=1))
    expired = _refusal(code="PAST")
    assert expired.reason == "expired"
    assert "expired" in expired.message
    early = _refusal(code="SOON")
    assert early.reason == "not_yet_valid"
    assert "valid from" in early.message
    # the moment it starts, it works; the moment it ends, it does not
    soon = DiscountCode.objects.get(code="SOON")
    check_discount_code(code="SOON", channel=ChannelFactory(), subtotal=Decimal("1"), now=soon.valid_from)
    past = DiscountCode.objects.get(code="PAST")
    assert _refusal(code="PAST", now=past.valid_until).reason == "expired"


def test_a_code_for_other_channels():
    web = ChannelFactory(code="web")
    phone = ChannelFactory(code="phone")
    DiscountCodeFactory(code="WEBONLY", channels=[web])
    exc = _refusal(code="WEBONLY", channel=phone)
    assert exc.reason == "channel"
    assert phone.name in exc.message
    check_discount_code(code="WEBONLY", channel=web, subtotal=Decimal("10"))


def test_below_the_minimum_names_the_minimum():
    DiscountCodeFactory(code="BIG", min_subtotal_amount=Decimal("50.00"))
    exc = _refusal(code="BIG", subtotal=Decimal("49.99"))
    assert exc.reason == "minimum"
    assert "50.00" in exc.message
    check_discount_code(code="BIG", channel=ChannelFactory(), subtotal=Decimal("50.00"))


def test_used_up_and_already_used_by_you():
    channel = ChannelFactory()
    DiscountCodeFactory(code="ONCE", usage_limit=1)
    DiscountCodeFactory(code="MINE", per_customer_limit=1)
    order_a, order_b = OrderFactory(channel=channel), OrderFactory(channel=channel)
    args = {"channel": channel, "subtotal": Decimal("20.00"), "amount": Decimal("2.00")}
    redeem_discount_code(code="ONCE", order_id=order_a.pk, email="ada@example.com", **args)
    redeem_discount_code(code="MINE", order_id=order_b.pk, email="Ada@Example.com ", **args)
    assert _refusal(code="ONCE", channel=channel, email="bob@example.com").reason == "used_up"
    mine = _refusal(code="MINE", channel=channel, email="ada@example.com")
    assert mine.reason == "already_used"
    assert "already used" in mine.message
    # another customer may still use it; a per-customer code needs an e-mail
    check_discount_code(code="MINE", channel=channel, email="bob@example.com", subtotal=Decimal("20"))
    assert _refusal(code="MINE", channel=channel, email="").reason == "email_needed"


def test_per_customer_limit_above_one():
    channel = ChannelFactory()
    DiscountCodeFactory(code="TWICE", per_customer_limit=2)
    for _ in range(2):
        redeem_discount_code(
            code="TWICE",
            order_id=OrderFactory(channel=channel).pk,
            channel=channel,
            email="ada@example.com",
            subtotal=Decimal("20"),
            amount=Decimal("2"),
        )
    exc = _refusal(code="TWICE", channel=channel, email="ada@example.com")
    assert exc.reason == "already_used"
    assert "2 times" in exc.message


def test_redeeming_counts_the_use_and_refuses_past_the_limit_changing_nothing():
    # given a code with two uses
    channel = ChannelFactory()
    code = DiscountCodeFactory(code="TWO", usage_limit=2)
    orders = [OrderFactory(channel=channel) for _ in range(3)]
    args = {"channel": channel, "subtotal": Decimal("20"), "amount": Decimal("2.00"), "email": ""}
    # when
    redeem_discount_code(code="two", order_id=orders[0].pk, **args)
    redeem_discount_code(code="TWO", order_id=orders[1].pk, **args)
    with pytest.raises(DiscountCodeRefused) as caught:
        redeem_discount_code(code="TWO", order_id=orders[2].pk, **args)
    # then
    assert caught.value.reason == "used_up"
    code.refresh_from_db()
    assert code.times_used == 2
    assert code.uses_left == 0
    assert DiscountRedemption.objects.filter(code=code).count() == 2


def test_the_database_refuses_a_count_past_the_limit():
    code = DiscountCodeFactory(usage_limit=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountCode.objects.filter(pk=code.pk).update(times_used=2)


def test_releasing_gives_the_use_back_once():
    channel = ChannelFactory()
    code = DiscountCodeFactory(code="ONCE", usage_limit=1, per_customer_limit=1)
    order = OrderFactory(channel=channel)
    redeem_discount_code(
        code="ONCE",
        order_id=order.pk,
        channel=channel,
        email="a@example.com",
        subtotal=Decimal("9"),
        amount=Decimal("1"),
    )
    # when released twice
    assert release_discount_code(order_id=order.pk) is not None
    assert release_discount_code(order_id=order.pk) is None
    # then the code can be used again, also by the same customer; the history stays
    code.refresh_from_db()
    assert code.times_used == 0
    assert DiscountRedemption.objects.get(order=order).released_at is not None
    check_discount_code(code="ONCE", channel=channel, email="a@example.com", subtotal=Decimal("9"))


def test_incentive_codes_are_random_single_use_and_expire():
    # given
    now = timezone.now()
    channel = ChannelFactory()
    # when
    first = create_incentive_code(kind="percent", value=Decimal("10"), valid_days=3, now=now)
    second = create_incentive_code(kind="fixed", value=Decimal("5.00"), valid_days=1, prefix="back")
    # then
    assert first.code.startswith("BACK-") and len(first.code) == 17
    assert first.code != second.code
    assert first.is_incentive and first.usage_limit == 1
    assert first.valid_until == now + timedelta(days=3)
    order = OrderFactory(channel=channel)
    redeem_discount_code(
        code=first.code, order_id=order.pk, channel=channel, subtotal=Decimal("30"), amount=Decimal("3")
    )
    with pytest.raises(DiscountCodeRefused) as caught:
        check_discount_code(code=first.code, channel=channel, subtotal=Decimal("30"))
    assert caught.value.reason == "used_up"
    later = now + timedelta(days=3, seconds=1)
    assert _refusal(code=second.code, channel=channel, now=later).reason == "expired"


@pytest.mark.parametrize(
    ("kind", "value", "days"),
    [
        ("percent", Decimal("0"), 3),
        ("percent", Decimal("101"), 3),
        ("fixed", Decimal("5"), 0),
        ("gift", Decimal("5"), 3),
    ],
)
def test_incentive_codes_refuse_bad_settings(kind, value, days):
    with pytest.raises(DiscountCodeRefused):
        create_incentive_code(kind=kind, value=value, valid_days=days)
    assert not DiscountCode.objects.exists()
