from decimal import Decimal

from catalog.models import StoreSettings
from orders.services import LineInput, place_order
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory


def store_with_legal_details(**overrides) -> StoreSettings:
    """The store settings row with what an invoice needs printed on it."""
    store = StoreSettings.load()
    values = {
        "legal_name": "Backroom Demo GmbH",
        "address_line1": "Torstraße 10",
        "postal_code": "10119",
        "city": "Berlin",
        "vat_id": "DE123456789",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "email": "shop@example.com",
    }
    values.update(overrides)
    for field, value in values.items():
        setattr(store, field, value)
    store.save()
    return store


def placed_order(*, prices=(Decimal("10.00"),), quantities=None, customer=None, tax_rates=None, **kwargs):
    """An order placed through ``place_order`` (lines, totals and reservations that agree)."""
    channel = kwargs.pop("channel", None) or ChannelFactory()
    lines = []
    for index, price in enumerate(prices):
        variant_kwargs = {}
        if tax_rates:
            from tests.catalog.factories import ProductFactory, TaxRateFactory

            rate = tax_rates[index]
            variant_kwargs["product"] = ProductFactory(tax_rate=TaxRateFactory(name=f"VAT {rate}", rate=rate))
        variant = stocked_variant(channel=channel, on_hand=1000, price=price, **variant_kwargs)
        lines.append(LineInput(variant=variant, quantity=(quantities[index] if quantities else 1)))
    customer = customer if customer is not None else CustomerFactory()
    return place_order(
        channel=channel,
        lines=lines,
        customer=customer,
        email=customer.email if customer else "",
        customer_name=customer.full_name if customer else "",
        billing_address={
            "name": "Ada Lovelace",
            "line1": "Hauptstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
        },
        **kwargs,
    )
