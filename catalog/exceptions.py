"""The catalogue's refusals; each carries a ``message`` a person can read."""


class CatalogError(Exception):
    """A catalogue operation was refused; ``message`` is for a person to read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DiscountCodeRefused(CatalogError):
    """The code cannot be used for this order; ``message`` says why (unknown, expired, used up…)."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason
