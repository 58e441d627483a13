"""Placing orders with discount codes: the allowance per VAT rate, the use counted, refusals that leave nothing."""

from decimal import Decimal

import pytest

from billing.services.invoices import invoice_figures
from catalog.models import DiscountCode, DiscountRedemption
from inventory.models import StockLevel
from orders.exceptions import InvalidOrder
from orders.models import Order, OrderEvent
from orders.services import (
    LineInput,
    OrderEntry,
    cancel_order,
    place_entry_order,
    place_order,
    preview_order,
    save_draft_order,
)
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory, TaxRateFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def basket():
    """33.33 at 19 % and 16.67 at 7 %: goods of 50.00 net."""
    channel = ChannelFactory()
    reduced = TaxRateFactory(name="Reduced", rate=Decimal("7.00"))
    standard = stocked_variant(channel=channel, price=Decimal("33.33"))
    books = stocked_variant(channel=channel, price=Decimal("16.67"), product__tax_rate=reduced)
    return channel, [LineInput(variant=standard, quantity=1), LineInput(variant=books, quantity=1)]


def test_a_fixed_code_is_split_over_the_vat_rates(basket):
    # given
    channel, lines = basket
    DiscountCodeFactory(code="SEVEN", kind=DiscountCode.Kind.FIXED, value=Decimal("7.00"))
    # when
    order = place_order(channel=channel, lines=lines, email="ada@example.com", discount_code="seven")
    # then 7.00 = 4.67 on the 19 % basis + 2.33 on the 7 % basis
    assert order.discount_code == "SEVEN"
    assert order.subtotal_amount == Decimal("50.00")
    assert order.discount_amount == Decimal("7.00")
    assert order.tax_amount == Decimal("6.45")  # 19 % of 28.66 = 5.45, 7 % of 14.34 = 1.00
    assert order.total_amount == Decimal("49.45")
    redemption = DiscountRedemption.objects.get(order=order)
    assert (redemption.amount, redemption.email) == (Decimal("7.00"), "ada@example.com")
    assert DiscountCode.objects.get(code="SEVEN").times_used == 1
    assert order.events.filter(kind=OrderEvent.Kind.NOTE, message__contains="SEVEN").exists()
    # the invoice recovers the same split from the amount alone: same VAT to the cent
    figures = invoice_figures(order, list(order.lines.all()))
    assert figures["vat"] == [
        {"rate": "7.00", "basis": "14.34", "vat": "1.00"},
        {"rate": "19.00", "basis": "28.66", "vat": "5.45"},
    ]


def test_a_percent_code_is_the_existing_allowance_per_rate(basket):
    channel, lines = basket
    DiscountCodeFactory(code="TEN", value=Decimal("10.00"))
    order = place_order(channel=channel, lines=lines, discount_code="TEN", shipping_amount=Decimal("4.90"))
    by_hand = place_order(channel=channel, lines=lines, discount_percent=Decimal("10"), shipping_amount=Decimal("4.90"))
    assert order.discount_amount == Decimal("5.00")  # 3.33 + 1.67
    assert (order.tax_amount, order.total_amount) == (by_hand.tax_amount, by_hand.total_amount)
    assert order.tax_amount == Decimal("7.68")  # 19 % of 30.00 + 4.90 = 6.631 → 6.63; 7 % of 15.00 = 1.05
    assert order.total_amount == Decimal("57.58")  # 50.00 − 5.00 + 4.90 + 7.68


def test_a_fixed_code_above_the_goods_takes_the_goods_not_the_shipping(basket):
    channel, lines = basket
    DiscountCodeFactory(code="HUGE", kind=DiscountCode.Kind.FIXED, value=Decimal("80.00"))
    order = place_order(channel=channel, lines=lines, discount_code="HUGE", shipping_amount=Decimal("4.90"))
    assert order.discount_amount == Decimal("50.00")
    assert order.tax_amount == Decimal("0.93")  # only the shipping's VAT
    assert order.total_amount == Decimal("5.83")


@pytest.mark.parametrize(
    ("code_kwargs", "order_kwargs", "says"),
    [
        ({"code": "OTHER"}, {"discount_code": "NOPE"}, "no discount code"),
        ({"code": "BIG", "min_subtotal_amount": Decimal("60.00")}, {"discount_code": "BIG"}, "60.00"),
        ({"code": "TEN"}, {"discount_code": "TEN", "discount_percent": Decimal("5")}, "do not combine"),
        ({"code": "GONE", "is_active": False}, {"discount_code": "GONE"}, "no longer valid"),
    ],
)
def test_a_refused_code_leaves_nothing_behind(basket, code_kwargs, order_kwargs, says):
    # given
    channel, lines = basket
    DiscountCodeFactory(**code_kwargs)
    # when
    with pytest.raises(InvalidOrder) as caught:
        place_order(channel=channel, lines=lines, email="ada@example.com", **order_kwargs)
    # then
    assert caught.value.field == "discount_code"
    assert says in caught.value.message
    assert not Order.objects.exists()
    assert not DiscountRedemption.objects.exists()
    assert not StockLevel.objects.filter(reserved__gt=0).exists()


def test_a_single_use_incentive_code_places_one_order_only(basket):
    from catalog.services import create_incentive_code

    channel, lines = basket
    code = create_incentive_code(kind="percent", value=Decimal("10"), valid_days=2)
    first = place_order(channel=channel, lines=lines, email="ada@example.com", discount_code=code.code.lower())
    with pytest.raises(InvalidOrder) as caught:
        place_order(channel=channel, lines=lines, email="ada@example.com", discount_code=code.code)
    assert "used up" in caught.value.message
    assert Order.objects.get() == first
    assert first.discount_amount == Decimal("5.00")


def test_cancelling_an_order_gives_its_use_back(basket):
    channel, lines = basket
    DiscountCodeFactory(code="ONCE", usage_limit=1)
    order = place_order(channel=channel, lines=lines, discount_code="ONCE")
    cancel_order(order=order)
    assert DiscountCode.objects.get(code="ONCE").times_used == 0
    place_order(channel=channel, lines=lines, discount_code="ONCE")


def test_staff_entry_previews_saves_and_places_a_draft_with_a_code(basket):
    # given
    channel, lines = basket
    DiscountCodeFactory(code="FIVE", kind=DiscountCode.Kind.FIXED, value=Decimal("5.00"), per_customer_limit=1)
    customer = CustomerFactory()
    entry = OrderEntry(channel=channel, lines=lines, customer=customer, discount_code="five")
    # when
    _priced, totals = preview_order(entry=entry)
    draft = save_draft_order(entry=entry)
    # then the draft keeps the code but has not used it
    assert totals["discount_amount"] == Decimal("5.00")
    assert draft.discount_code == "FIVE"
    assert draft.discount_amount == Decimal("5.00")
    assert DiscountCode.objects.get(code="FIVE").times_used == 0
    order = place_entry_order(entry=entry, draft=draft)
    assert order.status == Order.Status.PLACED
    assert DiscountRedemption.objects.get(order=order).email == customer.email
    # and the same customer cannot use it again
    with pytest.raises(InvalidOrder) as caught:
        preview_order(entry=OrderEntry(channel=channel, lines=lines, customer=customer, discount_code="FIVE"))
    assert caught.value.field == "discount_code"


def test_editing_an_order_keeps_a_fixed_codes_amount_and_a_percent_codes_share(basket):
    from orders.services import OrderChanges, edit_order_lines
    from tests.orders.factories import UserFactory

    channel, lines = basket
    DiscountCodeFactory(code="FIVE", kind=DiscountCode.Kind.FIXED, value=Decimal("5.00"))
    DiscountCodeFactory(code="TEN", value=Decimal("10.00"))
    fixed = place_order(channel=channel, lines=lines, discount_code="FIVE")
    percent = place_order(channel=channel, lines=lines, discount_code="TEN")
    by = UserFactory()
    for order in (fixed, percent):
        line = order.lines.order_by("pk").first()
        edit_order_lines(order=order, changes=OrderChanges(quantities={line.pk: 2}), by=by)
    fixed.refresh_from_db()
    percent.refresh_from_db()
    assert fixed.subtotal_amount == Decimal("83.33")
    assert fixed.discount_amount == Decimal("5.00")
    assert percent.discount_amount == Decimal("8.34")  # 10 % per rate: 6.666 → 6.67 and 1.667 → 1.67
