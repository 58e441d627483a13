from dataclasses import dataclass

from django.utils.translation import gettext as _


class InventoryError(Exception):
    """A stock operation was refused; ``message`` is for a person to read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidStockOperation(InventoryError):
    pass


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


class InsufficientStock(InventoryError):
    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        detail = "; ".join(
            _("%(sku)s: %(requested)s requested, %(available)s available")
            % {"sku": s.sku, "requested": s.requested, "available": s.available}
            for s in shortages
        )
        super().__init__(_("Not enough stock — %(detail)s.") % {"detail": detail})
