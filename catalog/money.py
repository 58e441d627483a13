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
