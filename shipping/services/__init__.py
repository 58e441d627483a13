"""Every change in shipping: quotes, shipments and their tracking, documents.

Split by concern; import from ``shipping.services``.
"""

from shipping.services.quotes import ShippingOption, list_pickup_locations, list_shipping_options, quote_shipping

__all__ = [
    "ShippingOption",
    "list_pickup_locations",
    "list_shipping_options",
    "quote_shipping",
]
