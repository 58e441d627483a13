"""Money arithmetic: Decimal only, rounded half up to the cent.

Python's default rounding is half-even; invoices and tax authorities round half up, so
every amount we store goes through :func:`quantize`. VAT is computed per rate on the sum
of the line nets of that rate, then rounded (EN 16931 BR-CO-17), never summed per line.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round an amount half up to two decimals."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(*, unit_price: Decimal, quantity: int) -> Decimal:
    return quantize(unit_price * quantity)


def vat_breakdown(nets: Iterable[tuple[Decimal, Decimal]]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Group (rate %, net amount) pairs by rate: {rate: (basis, vat)}.

    The VAT of each rate is computed once on the sum of that rate's nets, as EN 16931
    requires; summing per-line VAT can miss by a cent.
    """
    basis: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for rate, net in nets:
        basis[Decimal(rate)] += net
    return {rate: (quantize(b), quantize(b * rate / HUNDRED)) for rate, b in sorted(basis.items())}


def split_allowance(amount: Decimal, bases: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """Split a fixed allowance (a discount of ``amount``) over VAT rates in proportion to their bases.

    Never more than the bases together; the parts sum to the allowance exactly. The split is
    the one an invoice recovers from the order's discount amount alone
    (``billing.services.invoices._allowances``), so order and invoice VAT agree to the cent:
    the percentage the amount is of the goods (two decimals, and one cent either side),
    applied per rate and rounded half up, when it reproduces the amount; otherwise shares
    rounded down with the cents left over going to the largest remainders.
    """
    subtotal = sum(bases.values(), ZERO)
    amount = min(quantize(amount), subtotal)
    if amount <= 0 or not subtotal:
        return {rate: ZERO for rate in bases}
    percent = quantize(amount * HUNDRED / subtotal)
    for candidate in (percent, percent - CENT, percent + CENT):
        split = {rate: quantize(basis * candidate / HUNDRED) for rate, basis in bases.items()}
        if sum(split.values(), ZERO) == amount and all(split[r] <= b for r, b in bases.items()):
            return split
    raw = {rate: amount * basis / subtotal for rate, basis in bases.items()}
    floor = {rate: (value // CENT) * CENT for rate, value in raw.items()}
    rest = int((amount - sum(floor.values(), ZERO)) / CENT)
    for rate in sorted(raw, key=lambda r: raw[r] - floor[r], reverse=True)[:rest]:
        floor[rate] += CENT
    return floor
