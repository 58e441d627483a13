from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from catalog.templatetags.money import format_money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("0.005"), "EUR", "€0.01"),  # half up, not half even and not cut off
        (Decimal("0.015"), "EUR", "€0.02"),
        (Decimal("-5"), "USD", "−$5.00"),
        (Decimal("1234567.891"), "GBP", "£1,234,567.89"),
        (Decimal("1234.5"), "JPY", "¥1,235"),
        (Decimal("12"), "CHF", f"CHF{NBSP}12.00"),
        (Decimal("12"), "XYZ", f"XYZ{NBSP}12.00"),
        (3, "eur", "€3.00"),
        ("19.90", "EUR", "€19.90"),
    ],
)
def test_english_puts_the_symbol_first(amount, currency, expected):
    # when
    with translation.override("en"):
        result = format_money(amount, currency)

    # then
    assert result == expected


def test_german_uses_its_separators_and_puts_the_symbol_after():
    # when
    with translation.override("de"):
        result = format_money(Decimal("1234.5"), "EUR")

    # then
    assert result == f"1.234,50{NBSP}€"


def test_no_amount_is_blank_and_garbage_passes_through():
    # then
    assert format_money(None, "EUR") == ""
    assert format_money("n/a", "EUR") == "n/a"


def test_filter_defaults_to_the_store_currency_and_is_escaped(settings):
    # given
    settings.STORE_CURRENCY = "GBP"
    template = Template("{% load money %}[{{ a|money }}] [{{ a|money:cur }}]")

    # when
    with translation.override("en"):
        html = template.render(Context({"a": Decimal("2.5"), "cur": "<b>"}))

    # then
    assert html == f"[£2.50] [&lt;B&gt;{NBSP}2.50]"
