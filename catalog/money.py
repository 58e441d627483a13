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


# ------------------------------------------------------------------------------
# Prices entered with VAT included (a price list's ``prices_include_tax``)
# ------------------------------------------------------------------------------
#
# A B2C shop shows gross prices, and the customer must pay exactly the sum of what was
# shown. EN 16931 still wants the VAT per rate on the sum of the line nets. The rule used
# here, per VAT rate r with gross sum G (the lines of that rate, less their discount):
#
#     basis = round_half_up(G / (1 + r))     VAT = G - basis
#
# so basis + VAT == G to the cent. VAT differs from round_half_up(basis × r) by at most one
# cent (|G/(1+r) - basis| <= 0.005, hence |VAT - basis × r| <= 0.005 × (1 + r) < 0.011),
# inside the one-unit tolerance the EN 16931 validation artefacts allow for BR-CO-17; the
# other way round (VAT = round(basis × r)) would make the gross total miss by a cent. The
# line nets are each line's gross / (1 + r), rounded half up, with the cents that the
# rounding leaves over (at most half a cent a line) moved to the lines whose rounding was
# furthest off, so that they add up to the basis exactly.


def net_from_gross(gross: Decimal, rate: Decimal) -> Decimal:
    """The net amount in a gross amount at ``rate`` %, rounded half up."""
    return quantize(Decimal(gross) * HUNDRED / (HUNDRED + Decimal(rate)))


def gross_from_net(net: Decimal, rate: Decimal) -> Decimal:
    """A net amount with its VAT at ``rate`` %, rounded half up (how a gross price is shown)."""
    return quantize(Decimal(net) * (HUNDRED + Decimal(rate)) / HUNDRED)


def allocate_cents(target: Decimal, raws: list[Decimal]) -> list[Decimal]:
    """Round each of ``raws`` half up to the cent, then move single cents so they sum to ``target``.

    The cents go to (or come from) the amounts whose rounding was furthest off in that
    direction, so each result stays within one cent of its half-up rounding, and none
    drops below zero.
    """
    rounded = [quantize(raw) for raw in raws]
    diff = int((quantize(target) - sum(rounded, ZERO)) / CENT)
    if diff > 0:
        order = sorted(range(len(raws)), key=lambda i: raws[i] - rounded[i], reverse=True)
        for i in order[:diff]:
            rounded[i] += CENT
    elif diff < 0:
        order = sorted(
            (i for i in range(len(raws)) if rounded[i] > 0), key=lambda i: rounded[i] - raws[i], reverse=True
        )
        for i in order[:-diff]:
            rounded[i] -= CENT
    return rounded


def gross_vat_breakdown(grosses: Iterable[tuple[Decimal, Decimal]]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Group (rate %, gross amount) pairs by rate: {rate: (basis, vat)} with basis + vat == gross."""
    gross: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for rate, amount in grosses:
        gross[Decimal(rate)] += Decimal(amount)
    result = {}
    for rate, amount in sorted(gross.items()):
        basis = net_from_gross(amount, rate)
        result[rate] = (basis, quantize(amount) - basis)
    return result


def gross_totals(
    *,
    lines: list[tuple[Decimal, Decimal]],
    discount_percent: Decimal = ZERO,
    discount_fixed_amount: Decimal = ZERO,
    shipping_amount: Decimal = ZERO,
    shipping_tax_rate: Decimal = ZERO,
) -> dict:
    """Totals of an order whose lines are priced with VAT included.

    ``lines`` are (rate %, line gross = quantity × gross unit price). The discount is a
    percentage of each rate's gross, or a fixed gross amount split over the rates in
    proportion to their gross (``split_allowance``). Shipping is a net amount with its own VAT,
    as on any order. Returns the line nets (in the order given), the net subtotal, the net
    discount, the shipping, the VAT, the gross total and the breakdown {rate: (basis, vat)}:
    the total is the gross the customer saw, less the discount, plus the shipping with its VAT.
    """
    gross_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for rate, gross in lines:
        gross_by_rate[Decimal(rate)] += Decimal(gross)
    # The line nets of each rate add up to that rate's net of the undiscounted gross.
    line_nets: list[Decimal] = [ZERO] * len(lines)
    lines_net: dict[Decimal, Decimal] = {}
    for rate, gross in gross_by_rate.items():
        indexes = [i for i, (r, _g) in enumerate(lines) if Decimal(r) == rate]
        lines_net[rate] = net_from_gross(gross, rate)
        nets = allocate_cents(lines_net[rate], [Decimal(lines[i][1]) * HUNDRED / (HUNDRED + rate) for i in indexes])
        for i, net in zip(indexes, nets, strict=True):
            line_nets[i] = net
    if discount_fixed_amount:
        allowances = split_allowance(discount_fixed_amount, dict(gross_by_rate))
    else:
        allowances = {
            rate: quantize(gross * Decimal(discount_percent) / HUNDRED) for rate, gross in gross_by_rate.items()
        }
    goods = gross_vat_breakdown((rate, gross - allowances[rate]) for rate, gross in gross_by_rate.items())
    breakdown = dict(goods)
    shipping_vat = ZERO
    if shipping_amount:
        shipping_vat = quantize(Decimal(shipping_amount) * Decimal(shipping_tax_rate) / HUNDRED)
        basis, vat = breakdown.get(Decimal(shipping_tax_rate), (ZERO, ZERO))
        breakdown[Decimal(shipping_tax_rate)] = (basis + shipping_amount, vat + shipping_vat)
    subtotal = sum(lines_net.values(), ZERO)
    discount = sum((lines_net[rate] - basis for rate, (basis, _vat) in goods.items()), ZERO)
    tax = sum((vat for _basis, vat in breakdown.values()), ZERO)
    return {
        "line_nets": line_nets,
        "subtotal_amount": subtotal,
        "discount_amount": discount,
        "shipping_amount": Decimal(shipping_amount),
        "tax_amount": tax,
        "total_amount": subtotal - discount + Decimal(shipping_amount) + tax,
        "breakdown": dict(sorted(breakdown.items())),
    }


def breakdown_rows(breakdown: dict[Decimal, tuple[Decimal, Decimal]]) -> list[dict[str, str]]:
    """A VAT breakdown as JSON-ready rows (what orders keep and invoices print)."""
    return [{"rate": str(rate), "basis": str(basis), "vat": str(vat)} for rate, (basis, vat) in breakdown.items()]


def shown_line_grosses(lines: list[tuple[Decimal, Decimal]], *, includes_tax: bool) -> list[Decimal]:
    """The gross amount a shop shows for each (rate %, line amount) pair, such that the lines of
    a rate add up to that rate's gross as the order computes it. With VAT included the line
    amount is the gross already; from nets, a rate's gross is its net sum plus the VAT on that
    sum, and the cents are shared out over its lines (``allocate_cents``): rounding each line's
    VAT on its own could show lines that miss the subtotal by a cent."""
    if includes_tax:
        return [quantize(amount) for _rate, amount in lines]
    result: list[Decimal] = [ZERO] * len(lines)
    for rate, (basis, vat) in vat_breakdown(lines).items():
        indexes = [i for i, (r, _a) in enumerate(lines) if Decimal(r) == rate]
        raws = [Decimal(lines[i][1]) * (HUNDRED + rate) / HUNDRED for i in indexes]
        for i, amount in zip(indexes, allocate_cents(basis + vat, raws), strict=True):
            result[i] = amount
    return result


def shown_totals(*, lines, totals: dict, shipping_tax_rate: Decimal) -> dict:
    """What a shop shows for priced order lines and their totals (``compute_totals``' figures, or
    an order's): the line grosses, the goods, the discount and the shipping with VAT, the total.

    The total is the order's own; the shown amounts add up to it exactly: the discount (with
    its VAT) is what is left between goods + shipping and the total, and with no discount a
    cent of VAT rounding on a rate shared by goods and shipping goes to the shipping."""
    includes_tax = any(line.unit_gross_amount is not None for line in lines)
    grosses = shown_line_grosses(
        [
            (
                line.tax_rate,
                line.unit_gross_amount * line.quantity
                if line.unit_gross_amount is not None
                else line.line_total_amount,
            )
            for line in lines
        ],
        includes_tax=includes_tax,
    )
    goods = sum(grosses, ZERO)
    total = Decimal(totals["total_amount"])
    shipping_net = Decimal(totals["shipping_amount"])
    if Decimal(totals["discount_amount"]):
        shipping = quantize(shipping_net * (HUNDRED + Decimal(shipping_tax_rate)) / HUNDRED)
        discount = goods + shipping - total
    else:
        shipping = total - goods
        discount = ZERO
    return {
        "lines": grosses,
        "goods": goods,
        "discount": discount,
        "shipping": shipping,
        "tax": Decimal(totals["tax_amount"]),
        "total": total,
    }
