"""``{{ amount|money:currency }}``: an amount with its currency, formatted for the locale.

Django formats the number (grouping and decimal separator of the active language); this
module only adds the currency, as a symbol where one is well known, else the ISO code.
English puts the symbol first ("€1,234.50"); German and French put it after the number
("1.234,50 €"), as their readers expect.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"

SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CHF": "CHF",
    "SEK": "kr",
    "DKK": "kr",
    "NOK": "kr",
    "PLN": "zł",
}
# ISO 4217 minor units where they are not two.
DECIMALS = {"JPY": 0, "KRW": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}
# Languages that write the currency before the number.
SYMBOL_FIRST_LANGUAGES = {"en"}


def format_money(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    """The amount with its currency, or "" for no amount; a value that is not a number is returned as is."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    code = (currency or settings.STORE_CURRENCY).upper()
    places = DECIMALS.get(code, 2)
    # Django's number_format cuts extra decimals off; round half up first, as money rounds.
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = number_format(abs(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(code, code)
    sign = MINUS if value < 0 else ""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if language in SYMBOL_FIRST_LANGUAGES:
        separator = NBSP if len(symbol) > 1 else ""
        return f"{sign}{symbol}{separator}{number}"
    return f"{sign}{number}{NBSP}{symbol}"


@register.filter(name="money")
def money(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    return format_money(amount, currency)
