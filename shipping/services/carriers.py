"""Carriers: what their tracking numbers look like.

Postal carriers use the UPU S10 format (two letters, eight digits, a check digit, the
two-letter country code: ``RR123456785DE``); a number in the wrong shape is refused before
the parcel is marked shipped, since the customer would get a dead tracking link.
"""

import re

from django.utils.translation import gettext as _

from shipping.exceptions import ShippingError

S10_PATTERN = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
# Carriers whose items carry S10 numbers (lower case, compared without spaces).
POSTAL_CARRIERS = frozenset({"deutschepost", "post", "laposte", "royalmail", "postnl", "usps", "upu", "swisspost"})


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an eight-digit serial number."""
    total = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(number: str) -> bool:
    match = S10_PATTERN.match(number.strip().upper().replace(" ", ""))
    return bool(match) and s10_check_digit(match.group(2)) == int(match.group(3))


def is_postal_carrier(carrier: str) -> bool:
    return re.sub(r"[^a-z]", "", carrier.lower()) in POSTAL_CARRIERS


def validate_tracking_number(*, carrier: str, tracking_number: str) -> None:
    """Refuse a tracking number that cannot belong to the carrier; unknown carriers take any 4–100 characters."""
    number = tracking_number.strip().upper().replace(" ", "")
    if is_postal_carrier(carrier):
        if not is_valid_s10(number):
            raise ShippingError(
                _("%(number)s is not a valid postal tracking number (UPU S10, e.g. RR123456785DE).")
                % {"number": number},
                field="tracking_number",
            )
        return
    if not re.fullmatch(r"[A-Z0-9-]{4,100}", number):
        raise ShippingError(_("A tracking number has 4 to 100 letters, digits or dashes."), field="tracking_number")
