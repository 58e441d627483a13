"""The demo store's reference records, created once and found again by their natural keys.

Everything here is ``get_or_create`` on a code, a SKU, an e-mail or a username, so a second
run finds what the first one made and writes nothing; what a merchant edited since (a
price, a password) is left as it is.
"""

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from catalog.models import Category, Channel, CustomerGroup, Price, PriceList, Product, StoreSettings, TaxRate, Variant
from catalog.money import HUNDRED, quantize
from inventory.models import Location, StockLevel, StockMovement
from orders.management.demo import data
from orders.models import Address, Customer
from shipping.models import ShippingMethod


@dataclass(slots=True)
class VariantInfo:
    id: int
    sku: str
    product_name: str
    variant_name: str
    tax_rate: Decimal
    tax_category: str
    allow_backorder: bool
    popularity: int
    threshold: int
    case_size: int


@dataclass(slots=True)
class CustomerInfo:
    id: int
    name: str
    email: str
    phone: str
    company: str
    is_wholesale: bool
    billing_address: dict
    shipping_address: dict


@dataclass(slots=True)
class LevelInfo:
    id: int
    variant_id: int
    location_id: int
    on_hand: int
    reserved: int
    fresh: bool  # no movement yet: the demo gives it its opening stock


@dataclass
class Reference:
    """What the order generator needs to know about the store, read once."""

    channels: dict[str, Channel] = field(default_factory=dict)
    channel_variants: dict[str, list[VariantInfo]] = field(default_factory=dict)
    prices: dict[tuple[int, int], list[tuple[int, Decimal]]] = field(default_factory=dict)
    variants: dict[str, VariantInfo] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    methods: dict[str, ShippingMethod] = field(default_factory=dict)
    private_customers: list[CustomerInfo] = field(default_factory=list)
    wholesale_customers: list[CustomerInfo] = field(default_factory=list)
    users: dict[str, object] = field(default_factory=dict)
    levels: dict[tuple[int, int], LevelInfo] = field(default_factory=dict)

    def unit_price(self, *, price_list_id: int, variant_id: int, quantity: int) -> Decimal:
        """The price of the highest tier whose minimum the quantity reaches."""
        for min_quantity, amount in self.prices[(price_list_id, variant_id)]:
            if quantity >= min_quantity:
                return amount
        raise LookupError(f"No price for variant {variant_id} in price list {price_list_id}")


def _net(gross: Decimal, rate: Decimal) -> Decimal:
    return quantize(gross * HUNDRED / (HUNDRED + rate))


def _price_tiers(*, gross: Decimal, rate: Decimal) -> dict[str, list[tuple[int, Decimal]]]:
    """Net unit prices per price list: retail, wholesale with tiers, marketplace a bit dearer."""
    retail = _net(gross, rate)
    # Marketplace shelf price: 8 % more, ending in .90 like the shop's.
    marketplace = _net(
        (gross * data.MARKETPLACE_FACTOR).quantize(Decimal("1"), rounding=ROUND_CEILING) - Decimal("0.10"), rate
    )
    wholesale = quantize(retail * data.WHOLESALE_FACTOR)
    tiers = {code: [(1, retail)] for code in ("web", "phone", "in_person")}
    tiers["marketplace"] = [(1, marketplace)]
    tiers["wholesale"] = [(1, wholesale)] + [(q, quantize(wholesale * f)) for q, f in data.WHOLESALE_TIERS]
    return tiers


def _variant_specs(spec: data.ProductSpec):
    """Every combination of the product's dimensions: (sku, name, gross, grams)."""
    combos: list[tuple[data.Option, ...]] = [()]
    for dimension in spec.dimensions:
        combos = [(*combo, option) for combo in combos for option in dimension]
    for combo in combos:
        sku = "-".join([spec.prefix, *(o.code for o in combo)])
        name = " / ".join(o.label for o in combo)
        gross = next((o.gross for o in reversed(combo) if o.gross is not None), spec.gross)
        grams = next((o.grams for o in reversed(combo) if o.grams is not None), spec.grams)
        yield sku, name, gross, grams


@transaction.atomic
def ensure_reference_data() -> Reference:
    """Create what is missing of the demo store and read back what the orders need."""
    ref = Reference()
    taxes = {
        key: TaxRate.objects.get_or_create(name=name, defaults={"rate": rate})[0]
        for key, (name, rate) in data.TAX_RATES.items()
    }
    categories = {
        slug: Category.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name, _threshold, _case in data.CATEGORIES
    }
    category_facts = {slug: (threshold, case) for slug, _name, threshold, case in data.CATEGORIES}

    price_lists: dict[str, PriceList] = {}
    letters: dict[str, str] = {}
    for code, name, list_name, requires_payment, letter in data.CHANNELS:
        price_lists[code] = PriceList.objects.get_or_create(code=code, defaults={"name": list_name})[0]
        ref.channels[code] = Channel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": code,
                "price_list": price_lists[code],
                "requires_payment": requires_payment,
            },
        )[0]
        letters[letter] = code
    for name, list_code in data.CUSTOMER_GROUPS:
        CustomerGroup.objects.get_or_create(name=name, defaults={"price_list": price_lists.get(list_code)})

    _ensure_catalogue(ref, taxes=taxes, categories=categories, category_facts=category_facts,
                      price_lists=price_lists, letters=letters)  # fmt: skip
    _ensure_places(ref)
    _ensure_store_settings()
    _ensure_users(ref)
    _ensure_customers(ref)
    _ensure_stock_levels(ref)
    return ref


def _ensure_catalogue(ref: Reference, *, taxes, categories, category_facts, price_lists, letters) -> None:
    existing_prices = set(Price.objects.values_list("price_list_id", "variant_id", "min_quantity"))
    new_prices: list[Price] = []
    channel_products: dict[str, list[Product]] = {code: [] for code in ref.channels}
    item = 0
    for spec in data.PRODUCTS:
        tax = taxes[spec.tax]
        product, _ = Product.objects.get_or_create(
            slug=spec.prefix.lower(),
            defaults={"name": spec.name, "category": categories[spec.category], "tax_rate": tax,
                      "description": spec.description},
        )  # fmt: skip
        for letter in spec.channels:
            channel_products[letters[letter]].append(product)
        threshold, case = category_facts[spec.category]
        for sku, name, gross, grams in _variant_specs(spec):
            item += 1
            variant, _ = Variant.objects.get_or_create(
                sku=sku,
                defaults={"product": product, "name": name, "barcode": data.ean13(item), "weight_grams": grams,
                          "allow_backorder": sku in data.BACKORDER_SKUS, "low_stock_threshold": threshold},
            )  # fmt: skip
            info = VariantInfo(
                id=variant.pk, sku=sku, product_name=product.name, variant_name=variant.name, tax_rate=tax.rate,
                tax_category=tax.category, allow_backorder=variant.allow_backorder, popularity=spec.popularity,
                threshold=variant.low_stock_threshold, case_size=case,
            )  # fmt: skip
            ref.variants[sku] = info
            for code, tiers in _price_tiers(gross=gross, rate=tax.rate).items():
                for min_quantity, amount in tiers:
                    if (price_lists[code].pk, variant.pk, min_quantity) not in existing_prices:
                        new_prices.append(
                            Price(
                                price_list=price_lists[code], variant=variant, min_quantity=min_quantity, amount=amount
                            )
                        )
    Price.objects.bulk_create(new_prices)
    for code, products in channel_products.items():
        ref.channels[code].products.add(*products)

    # Read prices and catalogues back from the database: a merchant may have changed them.
    for price_list_id, variant_id, min_quantity, amount in Price.objects.values_list(
        "price_list_id", "variant_id", "min_quantity", "amount"
    ):
        ref.prices.setdefault((price_list_id, variant_id), []).append((min_quantity, amount))
    for tiers in ref.prices.values():
        tiers.sort(reverse=True)
    by_id = {info.id: info for info in ref.variants.values()}
    for code, channel in ref.channels.items():
        sold = Variant.objects.filter(product__channels=channel, is_active=True, product__is_active=True)
        ref.channel_variants[code] = [
            by_id[pk]
            for pk in sold.values_list("pk", flat=True).order_by("sku")
            if pk in by_id and (channel.price_list_id, pk) in ref.prices
        ]


def _ensure_places(ref: Reference) -> None:
    for spec in data.LOCATIONS:
        fields = {k: v for k, v in spec.items() if k not in ("code", "channels")}
        location, _ = Location.objects.get_or_create(code=spec["code"], defaults=fields)
        location.channels.add(*(ref.channels[c] for c in spec["channels"]))
        ref.locations[spec["code"]] = location
    for spec in data.SHIPPING_METHODS:
        fields = {k: v for k, v in spec.items() if k not in ("code", "channels")}
        method, _ = ShippingMethod.objects.get_or_create(code=spec["code"], defaults=fields)
        method.channels.add(*(ref.channels[c] for c in spec["channels"]))
        ref.methods[spec["code"]] = method


DEMO_STORE_NAME = "Linden & Loom"
DEMO_LEGAL_NAME = "Linden & Loom GmbH"


def _ensure_store_settings() -> None:
    """The merchant's own details, so the demo can print invoices; an owner's edits are kept.

    The name is the demo merchant's (as its legal name), not the software's default: a row
    made before (saved settings, an older seed) still carrying that default gets it too."""
    store, created = StoreSettings.objects.get_or_create(
        pk=1,
        defaults={
            "name": DEMO_STORE_NAME,
            "legal_name": DEMO_LEGAL_NAME,
            "address_line1": "Kastanienallee 12",
            "postal_code": "10435",
            "city": "Berlin",
            "country": "DE",
            "email": "hello@linden-loom.example",
            "phone": "+49 30 5550 1200",
            "website": "https://linden-loom.example",
            "vat_id": "DE123456789",
            "registration": "HRB 123456 B, Amtsgericht Charlottenburg",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
    )
    if not created and store.name in ("", settings.STORE_NAME, StoreSettings._meta.get_field("name").default):
        StoreSettings.objects.filter(pk=1).update(name=DEMO_STORE_NAME)
        if not store.legal_name:
            StoreSettings.objects.filter(pk=1).update(legal_name=DEMO_LEGAL_NAME)
        StoreSettings.forget_cached_name()  # update() skips save(), which drops the cached name


def _ensure_users(ref: Reference) -> None:
    user_model = get_user_model()
    for username, first_name, last_name, role in data.USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com",
                      "is_staff": True},
        )  # fmt: skip
        if created:
            user.set_password(data.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        ref.users[username] = user


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ı": "i", " ": "-"})
    return text.lower().translate(table)


def _ensure_customers(ref: Reference) -> None:
    retail = CustomerGroup.objects.get(name=data.CUSTOMER_GROUPS[0][0])
    wholesale = CustomerGroup.objects.get(name=data.CUSTOMER_GROUPS[1][0])
    specs = []
    for i, (first, last) in enumerate(data.PRIVATE_CUSTOMERS):
        domain = data.EMAIL_DOMAINS[i % len(data.EMAIL_DOMAINS)]
        prefix = ("151", "160", "176", "30", "40", "89")[i % 6]
        specs.append({
            "email": f"{_slug(first)}.{_slug(last)}@{domain}", "first_name": first, "last_name": last,
            "phone": f"+49 {prefix} {(4410237 + i * 7919) % 10_000_000:07d}", "group": retail,
            "accepts_marketing": i % 3 == 0, "_city": i % len(data.CITIES), "_street": i, "_company": "",
        })  # fmt: skip
    for i, (company, contact, domain, city) in enumerate(data.COMPANIES):
        first, last = contact.split(" ", 1)
        specs.append({
            "email": f"orders@{domain}", "first_name": first, "last_name": last, "company_name": company,
            "phone": f"+49 {('30', '40', '89', '221')[i % 4]} {(5523301 + i * 104729) % 10_000_000:07d}",
            "vat_id": f"DE{(281746395 + i * 7_654_321) % 1_000_000_000:09d}", "group": wholesale,
            "payment_terms_days": 30, "_city": city, "_street": i + 7, "_company": company,
        })  # fmt: skip
    for i, spec in enumerate(specs):
        extra = {k: spec.pop(k) for k in ("_city", "_street", "_company")}
        customer, created = Customer.objects.get_or_create(email=spec.pop("email"), defaults=spec)
        if created:
            _create_addresses(
                customer, index=i, city=extra["_city"], street=extra["_street"], company=extra["_company"]
            )
        addresses = list(customer.addresses.all())
        if not addresses:
            continue
        shipping = next((a for a in addresses if a.is_default_shipping), addresses[0])
        billing = next((a for a in addresses if a.is_default_billing), shipping)
        info = CustomerInfo(
            id=customer.pk, name=customer.full_name, email=customer.email, phone=customer.phone,
            company=customer.company_name, is_wholesale=customer.group_id == wholesale.pk,
            billing_address=billing.as_snapshot(), shipping_address=shipping.as_snapshot(),
        )  # fmt: skip
        (ref.wholesale_customers if info.is_wholesale else ref.private_customers).append(info)


def _create_addresses(customer: Customer, *, index: int, city: int, street: int, company: str) -> None:
    postal_code, city_name = data.CITIES[city]
    Address.objects.create(
        customer=customer, name=customer.full_name, company=company,
        line1=f"{data.STREETS[street % len(data.STREETS)]} {(index * 7) % 120 + 1}",
        postal_code=postal_code, city=city_name, phone=customer.phone,
        is_default_shipping=True, is_default_billing=True,
    )  # fmt: skip
    if index % 3 == 1:  # a second address: the office, or the parents' house for gifts
        postal_code, city_name = data.CITIES[(city + 5) % len(data.CITIES)]
        Address.objects.create(
            customer=customer, name=customer.full_name, company=company,
            line1=f"{data.STREETS[(street + 5) % len(data.STREETS)]} {(index * 13) % 90 + 2}",
            line2="3. OG" if index % 2 else "", postal_code=postal_code, city=city_name,
        )  # fmt: skip


def _ensure_stock_levels(ref: Reference) -> None:
    """A level for every variant at both locations; a level without a movement is fresh."""
    variant_ids = [info.id for info in ref.variants.values()]
    location_ids = [loc.pk for loc in ref.locations.values()]
    existing = set(StockLevel.objects.filter(variant_id__in=variant_ids).values_list("variant_id", "location_id"))
    StockLevel.objects.bulk_create(
        [
            StockLevel(variant_id=v, location_id=loc)
            for v in variant_ids
            for loc in location_ids
            if (v, loc) not in existing
        ]
    )
    moved = set(StockMovement.objects.values_list("variant_id", "location_id").distinct())
    for pk, variant_id, location_id, on_hand, reserved in StockLevel.objects.filter(
        variant_id__in=variant_ids, location_id__in=location_ids
    ).values_list("pk", "variant_id", "location_id", "on_hand", "reserved"):
        fresh = (variant_id, location_id) not in moved and on_hand == 0 and reserved == 0
        ref.levels[(variant_id, location_id)] = LevelInfo(pk, variant_id, location_id, on_hand, reserved, fresh)
