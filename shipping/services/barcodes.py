"""Code 128 barcodes as inline SVG, for the packing slip (a scanner at the bench reads the order number)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def code128_modules(value: str) -> str:
    """The bar pattern of ``value`` in Code 128 ('1' bar, '0' space), start, check and stop included."""
    import barcode

    return "".join(barcode.get("code128", value).build())


def code128_svg(value: str, *, module_width: float = 1.0, height: float = 40.0, quiet_zone: int = 10) -> SafeString:
    """An SVG of ``value`` with one rect per bar run; sized in user units so CSS can scale it."""
    modules = code128_modules(value)
    rects = []
    x = quiet_zone
    i = 0
    while i < len(modules):
        run = 1
        while i + run < len(modules) and modules[i + run] == modules[i]:
            run += 1
        if modules[i] == "1":
            rects.append(f'<rect x="{x * module_width:g}" y="0" width="{run * module_width:g}" height="{height:g}"/>')
        x += run
        i += run
    width = (len(modules) + 2 * quiet_zone) * module_width
    return mark_safe(  # noqa: S308 - every attribute is a number we computed; the value is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" viewBox="0 0 {width:g} {height:g}" '
        f'role="img" aria-label="{escape(value)}">{"".join(rects)}</svg>'
    )
