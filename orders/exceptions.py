from django.utils.translation import gettext as _


class OrderError(Exception):
    """An order operation was refused; ``message`` is for a person to read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(OrderError):
    pass


class InvalidOrder(OrderError):
    """The order as asked for cannot be placed (unknown item, bad quantity, no price…)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class DuplicateOrder(OrderError):
    def __init__(self, existing_number: str):
        super().__init__(
            _("An order with this external reference already exists: %(number)s.") % {"number": existing_number}
        )
        self.existing_number = existing_number


class CartError(OrderError):
    """A cart change was refused (not sold here, not enough stock, a bad link…)."""
