"""The demo store's fixed facts: catalogue, channels, places, people.

Plain constants, independent of ``--seed``: the seed only changes the orders and the stock
targets, so the reference records keep the same natural keys (codes, SKUs, e-mails)
whatever seed a run uses, and a second run finds them all.
"""

from dataclasses import dataclass
from decimal import Decimal

DEMO_PASSWORD = "backroom-demo"  # noqa: S105 - the documented demo login, printed by the command
DEMO_REFERENCE_PREFIX = "demo-"

# --- tax, categories ----------------------------------------------------------------------
TAX_RATES = {"standard": ("Standard", Decimal("19.00")), "reduced": ("Reduced", Decimal("7.00"))}
SHIPPING_TAX_RATE = Decimal("19.00")

CATEGORIES = [  # slug, name, low stock threshold of its variants, case size for restocks
    ("clothing", "Clothing", 3, 6),
    ("home", "Home", 4, 6),
    ("stationery", "Stationery", 10, 12),
    ("coffee-tea", "Coffee & Tea", 12, 12),
]

# --- channels -----------------------------------------------------------------------------
# code, name, price list name, requires payment, letter used in PRODUCTS' channel column
CHANNELS = [
    ("web", "Web shop", "Web prices", True, "W"),
    ("phone", "Phone orders", "Phone prices", False, "P"),
    ("in_person", "Shop counter", "Shop prices", False, "S"),
    ("wholesale", "Wholesale", "Wholesale prices", False, "H"),
    ("marketplace", "Marketplace", "Marketplace prices", True, "M"),
]
WHOLESALE_FACTOR = Decimal("0.65")  # wholesale net = retail net × 0.65 (35 % cheaper)
WHOLESALE_TIERS = [(10, Decimal("0.95")), (50, Decimal("0.90"))]  # from 10 / 50 pieces
MARKETPLACE_FACTOR = Decimal("1.08")  # marketplace fees are passed on

CUSTOMER_GROUPS = [("Retail", None), ("Wholesale partners", "wholesale")]

# --- locations ----------------------------------------------------------------------------
LOCATIONS = [
    {
        "code": "warehouse",
        "name": "Warehouse Leipzig",
        "kind": "warehouse",
        "priority": 10,
        "is_pickup_point": False,
        "address_line1": "Am Lagerplatz 3",
        "postal_code": "04159",
        "city": "Leipzig",
        "opening_hours": "",
        "channels": ["web", "phone", "wholesale", "marketplace"],
    },
    {
        "code": "shop",
        "name": "Shop Berlin-Kreuzberg",
        "kind": "store",
        "priority": 20,
        "is_pickup_point": True,
        "address_line1": "Oranienstraße 164",
        "postal_code": "10969",
        "city": "Berlin",
        "opening_hours": "Mon–Fri 10:00–19:00, Sat 10:00–18:00",
        "channels": ["in_person", "web", "phone"],
    },
]

# --- shipping -----------------------------------------------------------------------------
SHIPPING_METHODS = [
    {
        "code": "dhl-standard",
        "name": "DHL Parcel",
        "kind": "delivery",
        "carrier": "DHL",
        "price_amount": Decimal("4.90"),
        "free_above_amount": Decimal("60.00"),
        "channels": ["web", "phone", "marketplace"],
    },
    {
        "code": "dhl-express",
        "name": "DHL Express",
        "kind": "delivery",
        "carrier": "DHL Express",
        "price_amount": Decimal("12.90"),
        "free_above_amount": None,
        "channels": ["web", "phone", "marketplace"],
    },
    {
        "code": "freight",
        "name": "Freight forwarding",
        "kind": "delivery",
        "carrier": "Spedition Krüger",
        "price_amount": Decimal("35.00"),
        "free_above_amount": None,
        "channels": ["wholesale"],
    },
    {
        "code": "pickup-shop",
        "name": "Pickup at the shop",
        "kind": "pickup",
        "carrier": "",
        "price_amount": Decimal("0.00"),
        "free_above_amount": None,
        "channels": ["web", "phone"],
    },
]

# --- catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One value of a variant dimension; ``gross`` / ``grams`` override the product's."""

    code: str
    label: str
    gross: Decimal | None = None
    grams: int | None = None


def _opts(spec: str) -> list[Option]:
    """``"S:S M:M"`` → options; compact so the catalogue reads as a table."""
    return [Option(*part.split(":", 1)) for part in spec.split()]


SIZES = _opts("S:S M:M L:L XL:XL")
SIZES3 = _opts("S:S M:M L:L")
COFFEE = [
    Option("250B", "250 g · Beans"),
    Option("250G", "250 g · Ground"),
    Option("1KB", "1 kg · Beans", grams=1050),
    Option("1KG", "1 kg · Ground", grams=1050),
]
TEA = [Option("100", "100 g", grams=120), Option("250", "250 g", grams=280)]


@dataclass(frozen=True)
class ProductSpec:
    category: str
    prefix: str
    name: str
    tax: str  # key of TAX_RATES
    gross: Decimal  # retail price including VAT, as on the shelf label
    grams: int
    popularity: int  # relative weight when the demo picks products for an order
    channels: str  # letters from CHANNELS
    dimensions: tuple[tuple[Option, ...], ...] = ()
    description: str = ""


def _p(category, prefix, name, tax, gross, grams, pop, channels, *dims, description=""):
    return ProductSpec(
        category, prefix, name, tax, Decimal(gross), grams, pop, channels, tuple(tuple(d) for d in dims), description
    )


def _c(spec: str) -> list[Option]:
    """Like ``_opts`` for colours; ``_`` in a label stands for a space."""
    return [Option(o.code, o.label.replace("_", " ")) for o in _opts(spec)]


PRODUCTS: list[ProductSpec] = [
    # Clothing
    _p("clothing", "LIN-SHIRT", "Linen Shirt", "standard", "69.90", 280, 6, "WPSM",
       SIZES, _c("BLU:Blue WHT:White SND:Sand"), description="Washed European linen, relaxed fit."),
    _p("clothing", "ORG-TEE", "Organic Cotton T-Shirt", "standard", "29.90", 180, 9, "WPSM",
       SIZES, _c("BLK:Black WHT:White NVY:Navy"), description="Heavy 220 g jersey, GOTS certified."),
    _p("clothing", "MER-CREW", "Merino Crew Sweater", "standard", "119.00", 420, 4, "WPS",
       SIZES3, _c("GRY:Grey NVY:Navy")),
    _p("clothing", "DEN-JEANS", "Selvedge Denim Jeans", "standard", "149.00", 750, 3, "WPS",
       _opts("W30:W30 W32:W32 W34:W34 W36:W36")),
    _p("clothing", "KNIT-SOCKS", "Knitted Wool Socks", "standard", "16.90", 90, 8, "WPSHM",
       [Option("3639", "36–39"), Option("4043", "40–43"), Option("4447", "44–47")], _c("GRY:Grey RST:Rust")),
    _p("clothing", "WOOL-BEANIE", "Wool Beanie", "standard", "34.90", 110, 5, "WPSHM",
       _c("CHA:Charcoal MUS:Mustard FOR:Forest RST:Rust")),
    _p("clothing", "CAN-APRON", "Canvas Work Apron", "standard", "44.90", 350, 3, "WPSH", _c("OLV:Olive SND:Sand")),
    _p("clothing", "LIN-SCARF", "Linen Scarf", "standard", "39.90", 120, 3, "WPS", _c("NAT:Natural IND:Indigo")),
    _p("clothing", "LTH-BELT", "Leather Belt", "standard", "59.00", 220, 2, "PS",
       [Option("85", "85 cm"), Option("95", "95 cm"), Option("105", "105 cm")]),
    _p("clothing", "RAIN-JKT", "Waxed Rain Jacket", "standard", "189.00", 900, 2, "WP", SIZES3),
    # Home
    _p("home", "STW-MUG", "Stoneware Mug", "standard", "18.90", 380, 9, "WPSHM",
       _c("SND:Sand SLT:Slate MOS:Moss CRM:Cream")),
    _p("home", "LIN-TOWEL", "Linen Tea Towel", "standard", "14.90", 90, 6, "WPSHM",
       _c("NAT:Natural STR:Striped CHK:Check")),
    _p("home", "BEE-CANDLE", "Beeswax Pillar Candle", "standard", "12.90", 250, 5, "WPSH",
       [Option("SML", "Small"), Option("LRG", "Large", Decimal("22.90"), 600)]),
    _p("home", "CER-VASE", "Ceramic Bud Vase", "standard", "24.90", 300, 3, "WPS",
       [Option("SML", "Small"), Option("TLL", "Tall", Decimal("34.90"), 480)]),
    _p("home", "WOOL-THROW", "Wool Throw", "standard", "129.00", 1300, 2, "WPS", _c("GRY:Grey OCH:Ochre")),
    _p("home", "OAK-BOARD", "Oak Cutting Board", "standard", "39.90", 1100, 3, "WPSM",
       [Option("M", "M · 35 × 25 cm"), Option("L", "L · 45 × 30 cm", Decimal("54.90"), 1600)]),
    _p("home", "ENA-PLATE", "Enamel Plate", "standard", "12.90", 200, 4, "WPSH",
       _c("WHT:White BLU:Blue_rim GRN:Green_rim")),
    _p("home", "COT-CUSH", "Cotton Cushion Cover", "standard", "24.90", 200, 2, "WS",
       [Option("40", "40 × 40 cm"), Option("50", "50 × 50 cm", Decimal("29.90"), 260)]),
    _p("home", "GLS-CARAFE", "Glass Carafe", "standard", "27.90", 650, 2, "WPS", [Option("1L", "1 l")]),
    _p("home", "BRS-OPENER", "Brass Bottle Opener", "standard", "14.90", 80, 2, "S"),
    # Stationery
    _p("stationery", "NB-A5-DOT", "Dot Grid Notebook A5", "standard", "16.90", 320, 8, "WPSHM",
       _c("BLK:Black KRF:Kraft SGE:Sage NVY:Navy")),
    _p("stationery", "NB-A4-LIN", "Lined Notebook A4", "standard", "21.90", 560, 4, "WPSH", _c("BLK:Black KRF:Kraft")),
    _p("stationery", "FTN-PEN", "Steel Fountain Pen", "standard", "34.90", 30, 4, "WPSHM",
       [Option("F", "Fine nib"), Option("M", "Medium nib")]),
    _p("stationery", "INK-50", "Fountain Pen Ink 50 ml", "standard", "12.90", 120, 4, "WPSHM",
       _c("BLU:Blue BLK:Black SEP:Sepia")),
    _p("stationery", "PNC-SET", "Graphite Pencil Set", "standard", "9.90", 60, 4, "WPSH",
       [Option("6", "6 pencils"), Option("12", "12 pencils", Decimal("16.90"), 110)]),
    _p("stationery", "PLN-WEEK", "Weekly Planner 2027", "standard", "24.90", 400, 5, "WPSHM", _c("NVY:Navy RED:Red")),
    _p("stationery", "ENV-KRAFT", "Kraft Envelopes, pack of 25", "standard", "5.90", 150, 2, "PSH",
       [Option("C6", "C6"), Option("DL", "DL", Decimal("6.90"), 190), Option("C5", "C5", Decimal("7.90"), 250)]),
    _p("stationery", "WASHI-SET", "Washi Tape Set", "standard", "11.90", 80, 3, "WPSM", _c("PST:Pastel FOR:Forest")),
    _p("stationery", "BRS-RULER", "Brass Ruler 30 cm", "standard", "19.90", 160, 2, "WPS"),
    _p("stationery", "CARD-LP", "Letterpress Greeting Card", "standard", "4.90", 25, 6, "SH",
       [Option("BDY", "Birthday"), Option("THX", "Thank you"), Option("BLK", "Blank")]),
    # Coffee & Tea (food at the reduced rate; equipment at the standard rate)
    _p("coffee-tea", "ESP-HOUSE", "House Espresso Blend", "reduced", "10.90", 270, 10, "WPSHM",
       [COFFEE[0], COFFEE[1], Option("1KB", "1 kg · Beans", Decimal("36.90"), 1050),
        Option("1KG", "1 kg · Ground", Decimal("36.90"), 1050)], description="Roasted every Tuesday in Leipzig."),
    _p("coffee-tea", "ETH-YIRGA", "Ethiopia Yirgacheffe", "reduced", "12.90", 270, 6, "WPSHM",
       [COFFEE[0], COFFEE[1], Option("1KB", "1 kg · Beans", Decimal("42.90"), 1050)]),
    _p("coffee-tea", "COL-HUILA", "Colombia Huila", "reduced", "11.90", 270, 5, "WPSHM",
       [COFFEE[0], Option("1KB", "1 kg · Beans", Decimal("39.90"), 1050)]),
    _p("coffee-tea", "DECAF-SW", "Decaf Swiss Water", "reduced", "11.90", 270, 3, "WPSH", [COFFEE[0]]),
    _p("coffee-tea", "TEA-DARJ", "Darjeeling First Flush", "reduced", "14.90", 120, 3, "WPSHM",
       [TEA[0], Option("250", "250 g", Decimal("32.90"), 280)]),
    _p("coffee-tea", "TEA-SENCHA", "Japanese Sencha", "reduced", "13.90", 120, 3, "WPSH", [TEA[0]]),
    _p("coffee-tea", "TEA-EARL", "Earl Grey", "reduced", "8.90", 120, 5, "WPSHM",
       [TEA[0], Option("250", "250 g", Decimal("19.90"), 280)]),
    _p("coffee-tea", "TEA-ROOI", "Rooibos Vanilla", "reduced", "7.90", 120, 3, "WPSHM", [TEA[0]]),
    _p("coffee-tea", "TEA-CHAI", "Chai Spice Blend", "reduced", "9.90", 120, 3, "WPSH", [TEA[0]]),
    _p("coffee-tea", "CHOC-FLAKE", "Hot Chocolate Flakes", "reduced", "9.90", 270, 3, "WPSM", [Option("250", "250 g")]),
    _p("coffee-tea", "POUR-DRIP", "Ceramic Pour-Over Dripper", "standard", "29.90", 420, 3, "WPSM",
       _c("WHT:White BLK:Black")),
    _p("coffee-tea", "TEA-CAN", "Tea Canister", "standard", "19.90", 180, 2, "WPS", _c("MAT:Matte_black TIN:Tin")),
]  # fmt: skip

# Variants that may be sold when out of stock; the first two are out at the warehouse,
# so open orders for them carry backordered quantities.
BACKORDER_SKUS = ["WOOL-THROW-OCH", "PLN-WEEK-RED", "ESP-HOUSE-1KB", "MER-CREW-L-NVY"]
SOLD_OUT_AT_WAREHOUSE = {"WOOL-THROW-OCH", "PLN-WEEK-RED"}

EAN_COMPANY_PREFIX = "42601234"  # GS1 Germany range + a made-up company number


def ean13(item: int) -> str:
    """An EAN-13 from our company prefix and an item number, with its check digit."""
    body = f"{EAN_COMPANY_PREFIX}{item:04d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


# --- people -------------------------------------------------------------------------------
USERS = [  # username, first name, last name, role group
    ("owner", "Katrin", "Vogel", "Owner"),
    ("staff", "Jonas", "Meyer", "Staff"),
    ("warehouse", "Emre", "Yılmaz", "Warehouse"),
]

PERSONS = """
Lena Hoffmann; Lukas Schneider; Mia Fischer; Felix Wagner; Hannah Becker; Paul Schulz; Emma Richter;
Jonas Klein; Sophie Wolf; Leon Neumann; Marie Schwarz; Finn Zimmermann; Clara Braun; Noah Krüger;
Lea Hofmann; Elias Hartmann; Anna Lange; Ben Schmitt; Laura Werner; Moritz Krause; Julia Meier;
David Lehmann; Charlotte Köhler; Tim Herrmann; Sarah König; Jan Walter; Nina Mayer; Max Huber;
Amelie Kaiser; Simon Fuchs; Ida Peters; Tobias Lang; Greta Scholz; Oskar Möller; Frieda Weiß;
Anton Jung; Paula Hahn; Karl Schubert; Mila Vogt; Theo Friedrich; Ella Keller; Jakob Günther;
Luisa Frank; Niklas Berger; Aylin Demir; Marco Rossi; Chloé Martin; Piotr Nowak; Sofia Costa;
Oliver Bennett; Ingrid Larsen; Yusuf Aydın
"""
PRIVATE_CUSTOMERS = [tuple(n.strip().split(" ", 1)) for n in PERSONS.replace("\n", " ").split(";") if n.strip()]

COMPANIES = [  # company, contact, e-mail domain, city index into CITIES
    ("Kaffeehaus Morgenrot GmbH", "Jana Weber", "kaffeehaus-morgenrot.example", 0),
    ("Papierladen Lindner", "Thomas Lindner", "papierladen-lindner.example", 1),
    ("Concept Store Nordlicht", "Maren Jensen", "nordlicht-store.example", 7),
    ("Teekontor Süd GmbH", "Florian Bauer", "teekontor-sued.example", 2),
    ("Café Kleine Pause", "Deniz Arslan", "kleine-pause.example", 4),
    ("Hotel Alte Post", "Birgit Sommer", "hotel-alte-post.example", 5),
    ("Buchhandlung am Markt", "Ulrike Brandt", "buchhandlung-am-markt.example", 8),
    ("Büro & Co. Bürobedarf", "Stefan Kühn", "buero-und-co.example", 3),
]

STREETS = [
    "Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße", "Goethestraße", "Gartenweg",
    "Bergstraße", "Kirchplatz", "Mühlenweg", "Rosenstraße", "Friedrichstraße", "Parkallee",
    "Am Markt", "Wiesenweg", "Schulstraße", "Kastanienallee", "Uferstraße", "Brunnenstraße",
]  # fmt: skip
CITIES = [  # postal code, city
    ("10245", "Berlin"), ("20357", "Hamburg"), ("80469", "München"), ("50667", "Köln"),
    ("04109", "Leipzig"), ("01067", "Dresden"), ("60311", "Frankfurt am Main"), ("24103", "Kiel"),
    ("79098", "Freiburg"), ("70173", "Stuttgart"), ("28195", "Bremen"), ("90403", "Nürnberg"),
    ("30159", "Hannover"), ("48143", "Münster"), ("69117", "Heidelberg"), ("14467", "Potsdam"),
]  # fmt: skip
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

ORDER_NOTES = [
    "Gift wrap, please.",
    "Leave the parcel with the neighbour if nobody is home.",
    "Customer asked for an invoice with company name.",
    "Regular customer: add a sample of the new roast.",
    "Call before delivery.",
]
CANCEL_REASONS = [
    "Customer changed their mind.",
    "Payment not received in time.",
    "Duplicate order.",
    "Address could not be verified.",
    "Customer ordered the wrong size.",
]
