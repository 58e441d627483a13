"""Every change to the catalogue's own records; import from ``catalog.services``.

Split by concern: ``discounts`` (discount codes: check, redeem, release, incentive codes).
"""

from catalog.services.discounts import (
    DiscountQuote,
    check_discount_code,
    create_incentive_code,
    redeem_discount_code,
    release_discount_code,
    save_discount_code,
    set_discount_code_active,
)

__all__ = [
    "DiscountQuote",
    "check_discount_code",
    "create_incentive_code",
    "redeem_discount_code",
    "release_discount_code",
    "save_discount_code",
    "set_discount_code_active",
]
