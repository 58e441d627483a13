"""Refusals of the shipping services, each with a message a person can read."""


class ShippingError(Exception):
    """A shipping operation was refused; ``message`` is for a person to read."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class MethodNotAvailable(ShippingError):
    """The shipping method cannot carry this order (inactive, other channel, too heavy)."""


class InvalidShipmentTransition(ShippingError):
    pass


class NotShippable(ShippingError):
    """The order, or the quantities asked for, cannot be put in a shipment."""
