"""Bad input never gets a 500: every page and endpoint, fed garbage, answers < 500 and changes nothing.

The URL patterns are walked from the resolver (as ``tests/test_permissions.py`` does), so a
page added later is swept without touching this file; a pattern whose URL kwargs this file
cannot fill fails ``test_every_pattern_has_real_objects`` until ``_kwarg_value`` learns it.

One world of real objects (orders placed, paid, shipped, delivered, returned, invoiced;
carts, codes, webhooks, imports, jobs) is built once for the module inside a transaction
that is rolled back at the end; every request then runs in a savepoint that is rolled back
too, so each garbage request meets the same state and nothing leaks between tests.

The forms are not listed here: every page is opened once and its HTML read (``_crawl``), so
each POST target gets the fields of the forms that post to it, as the page filled them in.

- GET: every pattern with garbage query strings (paging, sorting, choices, dates at the
  calendar's edges, totals, a 5,000-character search, NUL bytes, invalid UTF-8, "²",
  repeated parameters), plus garbage in every field of the page's own filter forms.
- POST: an empty body; every field of the forms that post there filled with each garbage
  value; each field in turn made garbage with the others valid; the valid form with garbage
  in the query string; upload forms with unreadable files and with each import's own columns
  holding bad values. An empty or all-garbage POST, or one whose number or choice field is
  garbage, must not add or remove a row of the main tables.
- The carrier and payment webhooks, correctly signed, with garbage JSON bodies.

The API under ``/api/`` is fuzzed by schemathesis (``tests/api/test_fuzz.py``) and skipped
here, as is Django's admin. On PostgreSQL (``DATABASE_URL=postgres://…``) the same sweep
also meets what only PostgreSQL refuses: NUL bytes in text, numbers beyond a column.
"""

from __future__ import annotations

import re
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from unittest.mock import patch
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from config import roles
from tests.url_patterns import walk_url_patterns

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# The patterns
# --------------------------------------------------------------------------------------------


SKIPPED_PREFIXES = ("api/", "static/", "media/", "admin/")
PATTERNS = sorted((name, route) for name, route in walk_url_patterns() if not route.startswith(SKIPPED_PREFIXES))
# Reached without signing in: swept anonymously as well as by the Owner.
PUBLIC_NAMES = {"login", "logout", "shipping:track"}
PUBLIC_PREFIXES = ("shop/", "track/")
PUBLIC = [(name, route) for name, route in PATTERNS if name in PUBLIC_NAMES or route.startswith(PUBLIC_PREFIXES)]

# Cases that answer 500 in files other helpers own right now (see the report of this sweep).
KNOWN_500 = {
    # ("GET" | "POST" | "GET-anon" | "POST-anon", url name): reason
}


def _marks(kind: str, name: str):
    reason = KNOWN_500.get((kind, name))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


# --------------------------------------------------------------------------------------------
# One world of real objects for the whole module
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    owner: object
    order: object  # placed, stock reserved, a pending shipment
    delivered: object  # paid, shipped, delivered, invoiced, a return
    web_order: object  # placed on the web channel (shop's order and payment pages)
    draft: object
    shipment: object
    ret: object
    invoice: object
    job: object
    discount: object
    endpoint: object
    delivery: object
    saved_view: object
    order_import: object
    variant: object
    category: object
    product: object
    cart: object
    carrier: object
    values: dict = field(default_factory=dict)


def _build_world() -> World:
    from billing.services import issue_invoice, start_invoice_bulk_job
    from catalog.webhooks.models import WebhookDelivery
    from catalog.webhooks.services import create_webhook_endpoint
    from orders.services import LineInput, place_order
    from orders.services.carts import add_to_cart, get_or_create_cart
    from orders.services.saved_views import save_order_view
    from shipping.services import create_return, create_shipment, mark_shipped, record_tracking_event
    from shipping.services.order_import import COLUMNS, create_order_import
    from tests.billing.factories import store_with_legal_details
    from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
    from tests.catalog.shop_fixtures import category_with_products, make_web_shop
    from tests.inventory.factories import LocationFactory
    from tests.orders.factories import CustomerFactory, OrderFactory, UserFactory
    from tests.shipping.factories import CarrierAccountFactory, pay, placed_order

    owner = UserFactory(username="sweep-owner", role=roles.OWNER)
    UserFactory(username="sweep-staff", role=roles.STAFF)
    store_with_legal_details()
    web = make_web_shop()
    category, web_variants = category_with_products(web, count=2)
    warehouse = LocationFactory(code="warehouse", name="Warehouse")
    phone = ChannelFactory(code="phone")
    customer = CustomerFactory()

    with patch("shipping.services.fulfilment.send_shipment_email_task"):
        order = placed_order(quantities=(3, 1), location=warehouse, channel=phone, customer=customer)
        shipment = create_shipment(order=order, location=warehouse, lines=[(order.lines.first(), 1)])

        delivered = placed_order(quantities=(2,), location=warehouse, channel=phone, customer=customer)
        delivered = pay(delivered)
        line = delivered.lines.get()
        sent = create_shipment(order=delivered, location=warehouse, lines=[(line, 2)])
        sent = mark_shipped(shipment=sent, carrier="DHL", tracking_number="JD0001")
        record_tracking_event(shipment=sent, status="delivered", occurred_at=timezone.now())
        ret = create_return(order=delivered, lines=[(line, 1, "sellable")], reason="other")
    with patch("billing.services.invoices._enqueue_delivery"):
        invoice = issue_invoice(order=delivered)
    job = start_invoice_bulk_job(kind="zip", numbers=[invoice.number], by=owner)

    web_order = place_order(
        channel=web,
        email="web@example.com",
        customer_name="Web Customer",
        shipping_address={"name": "Web Customer", "line1": "Weg 1", "postal_code": "10115", "city": "Berlin"},
        lines=[LineInput(variant=web_variants[0], quantity=1)],
    )
    draft = OrderFactory(status="draft", channel=phone, customer=customer)

    discount = DiscountCodeFactory(valid_until=timezone.now() + timedelta(days=30))
    endpoint = create_webhook_endpoint(url="https://example.com/hooks", events=["order.placed"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="order.placed", payload={"a": 1})
    saved_view = save_order_view(user=owner, name="Sweep", query_string="status=placed")
    row = {
        "external_reference": "M-1",
        "channel": "phone",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "line1": "Geheimweg 7",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "sku": order.lines.first().sku,
        "quantity": "1",
    }
    raw = ",".join(COLUMNS) + "\n" + ",".join(row.get(column, "") for column in COLUMNS) + "\n"
    order_import = create_order_import(filename="sweep.csv", raw=raw.encode(), by=owner)

    cart = get_or_create_cart(channel=web, session_key="sweep")
    add_to_cart(cart=cart, variant=web_variants[1], quantity=1)
    carrier = CarrierAccountFactory()

    return World(
        owner=owner,
        order=order,
        delivered=delivered,
        web_order=web_order,
        draft=draft,
        shipment=shipment,
        ret=ret,
        invoice=invoice,
        job=job,
        discount=discount,
        endpoint=endpoint,
        delivery=delivery,
        saved_view=saved_view,
        order_import=order_import,
        variant=web_variants[0],
        category=category,
        product=web_variants[0].product,
        cart=cart,
        carrier=carrier,
    )


def _kwarg_value(world: World, name: str, kwarg: str):
    """The real object's key for one URL kwarg of the pattern ``name``; None when unknown."""
    app = name.split(":")[0]
    if kwarg == "number":
        if name.startswith("billing:invoice"):
            return world.invoice.number
        if name in ("billing:refund-new", "shipping:return-create"):
            return world.delivered.number
        return world.order.number
    if kwarg == "pk":
        return {
            "shipping:return-detail": world.ret.pk,
            "orders:order-view-delete": world.saved_view.pk,
            "catalog:discount-edit": world.discount.pk,
            "catalog:discount-deactivate": world.discount.pk,
        }.get(name) or {
            "shipping": world.shipment.pk,
            "webhooks": world.endpoint.pk,
            "billing": world.job.pk,
            "orders": world.order_import.pk,
        }.get(app)
    if kwarg == "code":
        if name == "shipping:carrier-webhook":
            return world.carrier.code
        return (world.web_order if app == "shop" else world.order).tracking_code
    return {
        "draft_id": world.draft.pk,
        "delivery_id": world.delivery.pk,
        "user_id": world.owner.pk,
        "sku": world.variant.sku,
        "token": world.cart.token,
        "provider": "webhook",
        "slug": world.product.slug if name == "shop:product" else world.category.slug,
    }.get(kwarg)


def _path(world: World, name: str, route: str) -> str:
    def fill(match):
        value = _kwarg_value(world, name, match.group(1))
        assert value is not None, f"{name}: no real object for <{match.group(0)}>; teach _kwarg_value"
        return quote(str(value))

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


@pytest.fixture(scope="module")
def _settings(tmp_path_factory):
    """What tests/conftest.py's per-test fixture sets, for the module-wide world and crawl."""
    media = tmp_path_factory.mktemp("sweep-media")
    static = tmp_path_factory.mktemp("sweep-static")
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=str(media),
        STATIC_ROOT=str(static),
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        SECURE_SSL_REDIRECT=False,
        CELERY_TASK_ALWAYS_EAGER=True,
        AXES_ENABLED=False,
    ):
        yield


@pytest.fixture(scope="module")
def world(_settings, django_db_setup, django_db_blocker):
    from config.celery import app as celery_app

    eager = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    with django_db_blocker.unblock(), _no_side_effects():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = _build_world()
            built.values["forms"] = _crawl(built)
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager


STUB_PDF = b"%PDF-1.4\n% sweep stub\n%%EOF\n"


@contextmanager
def _no_side_effects():
    """No PDF rendering (slow, and not what is tested here), no webhook sending."""
    with (
        patch("billing.services.documents.html_to_pdf", lambda *a, **k: STUB_PDF),
        patch("shipping.services.documents.html_to_pdf", lambda *a, **k: STUB_PDF),
        patch("catalog.webhooks.services._enqueue", lambda ids: None),
    ):
        yield


@pytest.fixture(autouse=True)
def _quiet(world):
    with _no_side_effects():
        yield


# --------------------------------------------------------------------------------------------
# The forms of every page, read from the HTML
# --------------------------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "textarea"
    value: str = ""
    checked: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: list[FormField] = field(default_factory=list)

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser would send as the page filled the form in, the empty text boxes typed in
        with plausible values (``FILL``) so that one garbage field meets valid others."""
        sent, radios = [], set()
        for f in self.fields:
            if f.kind in ("submit", "button", "reset", "image", "file"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked and not (f.kind == "radio" and f.name in radios):
                    sent.append((f.name, f.value or "on"))
                    radios.add(f.name)
                continue
            value = f.value
            if not value and f.kind not in ("hidden", "select"):
                value = FILL.get(f.name) or FILL.get(re.split(r"[-_]", f.name)[-1], "")
            sent.append((f.name, value))
        for f in self.fields:  # a radio group nobody ticked: its first choice
            if f.kind == "radio" and f.name not in radios:
                sent.append((f.name, f.value))
                radios.add(f.name)
        return sent

    def names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields if f.kind not in ("submit", "button", "reset", "image")))

    def has_file(self) -> bool:
        return any(f.kind == "file" for f in self.fields)


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._select_first = ""
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            method = "post" if ("hx-post" in a or a.get("method", "get").lower() == "post") else "get"
            action = a.get("hx-post") or a.get("hx-get") or a.get("action") or self.page
            self._form = Form(method=method, action=urlsplit(action).path or self.page)
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self._form.fields.append(FormField(a["name"], kind, a.get("value", ""), "checked" in a))
        elif tag == "select":
            self._select = FormField(a["name"], "select")
            self._select_first = ""
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = FormField(a["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.fields.append(FormField(a["name"], "button", a.get("value", "")))

    def _option(self, a):
        value = a.get("value", "")
        if "selected" in a:
            self._select.value = value
        elif not self._select.value and not self._select_first and value:
            self._select_first = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if not self._select.value:
                self._select.value = self._select_first
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def _crawl(world: World) -> dict[str, list[Form]]:
    """Every form on every page the Owner (and a shop visitor) can open, by the path it sends to."""
    found: dict[str, list[Form]] = {}
    owner = Client()
    owner.force_login(world.owner)
    visitor = _visitor(world)
    pages = [(_path(world, name, route), (name, route) in PUBLIC) for name, route in PATTERNS]
    # The stock forms filled in from the query string, so that a garbage field meets valid others.
    level = world.variant.stock_levels.first()
    filled = f"?sku={quote(world.variant.sku)}&location={level.location_id}&from_location={level.location_id}"
    pages += [(f"/stock/{form}/{filled}", False) for form in ("receive", "adjust", "count", "transfer")]
    for path, public in pages:
        for client in (owner, visitor) if public else (owner,):
            with transaction.atomic():
                response = client.get(path)
                transaction.set_rollback(True)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = _FormParser(urlsplit(path).path)
            parser.feed(response.content.decode(errors="replace"))
            for form in parser.forms:
                known = found.setdefault((form.method, form.action), [])
                same = [i for i, other in enumerate(known) if other.names() == form.names()]
                if not same:
                    known.append(form)
                elif _filled(form) > _filled(known[same[0]]):  # the page that filled more of it in
                    known[same[0]] = form
    return found


def _filled(form: Form) -> int:
    return sum(1 for f in form.fields if f.value)


def _visitor(world: World) -> Client:
    """An anonymous shop visitor whose session holds the world's cart."""
    from orders.services.carts import CART_SESSION_KEY

    client = Client()
    session = client.session
    session[CART_SESSION_KEY] = str(world.cart.token)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


# --------------------------------------------------------------------------------------------
# Garbage
# --------------------------------------------------------------------------------------------

# Values as they travel in a URL or a form body (percent-encoded). Each one fills every field of
# a form (or every query parameter) at once.
GARBAGE = [
    "x" * 5000,
    "0",
    "99999999999999999999999999",
    "1e309",
    "a%00b",
    "%ff%fe",
    "%C2%B2",  # "²": str.isdigit() says yes, int() says no
    "2026-13-45",
]

# The parameters the lists, filters and pages read from the URL, and a few more.
QUERY_NAMES = [
    "page",
    "per_page",
    "o",
    "q",
    "status",
    "payment_status",
    "fulfilment_status",
    "kind",
    "state",
    "email",
    "channel",
    "customer",
    "location",
    "category",
    "carrier",
    "shipping_method",
    "pickup_location",
    "placed_from",
    "placed_to",
    "issued_from",
    "issued_to",
    "created_from",
    "created_to",
    "date_from",
    "date_to",
    "total_min",
    "total_max",
    "backordered",
    "needs_review",
    "low",
    "incentive",
    "days",
    "compare",
    "format",
    "orders",
    "sku",
    "from_location",
    "to_location",
    "next",
    "download",
    "customer_query",
    "add_code",
]
# One problem at a time where a combination would hide it (a bad filter stops before paging).
SINGLE_QUERIES = [
    "page=abc&per_page=x",
    "page=999999&per_page=100000&o=nonsense",
    "page=-1&per_page=-5&o=-",
    "page=1&page=2&page=x&status=placed&status=bogus&o=total&o=nonsense",
    "status=bogus&total_min=abc&total_max=-0",
    "total_min=1e999999&total_max=-1e999999",
    # The edges of the calendar: a day is added to the end, local midnight is made aware.
    "placed_to=9999-12-31&issued_to=9999-12-31&created_to=9999-12-31&date_from=9999-12-31&date_to=9999-12-31",
    "placed_from=0001-01-01&issued_from=0001-01-01&created_from=0001-01-01&date_from=0001-01-01&date_to=0001-01-01",
    "format=csv&date_from=notadate&issued_from=2026-13-45",
    "days=99999999999999999999&compare=bogus",
    # Each page's own search box alone, so that no other bad filter stops the form first.
    "q=a%00b&orders=a%00b&sku=a%00b&customer_query=a%00b&add_code=a%00b&channel=%C2%B2&customer=%C2%B2",
    "q=%ff&orders=%ff&sku=%ff&customer_query=%ff&add_code=%ff",
    "next=//evil.example.com&download=1",
]

OTHER_METHODS = ("PUT", "DELETE")  # HEAD, PATCH and OPTIONS were tried once too: nothing
SIGNED_FIELDS = {"delta"}  # the stock adjustment: -1 takes one off the shelf
POST_QUERY = "next=ab&sku=a%00b&location=%C2%B2&from_location=-1&to_location=1e309&page=x&o=%ff"

# What a person would type into an empty box, by field name (or the name's last word).
FILL = {
    "quantity": "1",
    "counted": "5",
    "delta": "1",
    "amount": "1.00",
    "value": "10",
    "code": "SWEEP10",
    "reason": "Sweep",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "line1": "Weg 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "phone": "+49 30 1234567",
    "collected_by": "Ada Lovelace",
    "url": "https://example.com/in",
    "carrier": "DHL",
    "occurred_at": "2026-11-28T10:00",
    "date_from": "2026-11-01",
    "date_to": "2026-11-28",
}

# Pages that read the query string without a filter form of their own get the single queries too;
# elsewhere every parameter at once with each garbage value is enough.
QUERY_PAGES = ("export", "search", "report", "products", "customers", "pick-list", "dashboard", "inventory:stock-")

# Each field in turn, the others as the page filled them in: values by what the field takes.
NUMBER_HINTS = ("amount", "quantity", "qty", "price", "value", "percent", "limit", "days", "weight", "count")
ONE_FIELD_GARBAGE = {
    # 1e309 is a finite Decimal no cent fits (0 is often a fine answer: it is in GARBAGE, not here).
    "number": ["-1", "99999999999999999999999999", "1e309"],
    "date": ["2026-13-45", "9999-12-31"],
    "choice": ["99999999999999999999999999", "a%00b", "%C2%B2"],
    "text": ["y" * 3000, "a%00b"],
}

# Names a POST-only endpoint may read, for one whose form is on no page in the world's state.
GENERIC_POST_NAMES = [
    "action",
    "next",
    "reason",
    "note",
    "amount",
    "quantity",
    "method",
    "carrier",
    "tracking_number",
    "status",
    "occurred_at",
    "confirm",
    "token",
    "variant",
    "collected_by",
    "name",
    "query",
    "selected",
    "order",
    "code",
    "active",
    "email",
    "cash_tendered",
    "location",
]


def _field_kind(f: FormField) -> str:
    if f.kind in ("date", "datetime-local", "time", "month") or f.name.endswith(("_at", "_from", "_until", "_to")):
        return "date"
    if f.kind == "number" or any(hint in f.name for hint in NUMBER_HINTS):
        return "number"
    if f.kind in ("select", "radio", "checkbox", "hidden"):
        return "choice"
    return "text"


def _encode(pairs) -> bytes:
    """A form body; values are already percent-encoded (so %00 and %ff travel as they are)."""
    return "&".join(f"{quote(name, safe='')}={value}" for name, value in pairs).encode("ascii")


# --------------------------------------------------------------------------------------------
# Sending, and what counts as a failure
# --------------------------------------------------------------------------------------------


def _counted_tables() -> list[str]:
    from billing.models import Invoice, InvoiceBulkJob, Payment
    from catalog.models import DiscountCode
    from catalog.webhooks.models import WebhookEndpoint
    from inventory.models import Reservation, StockLevel, StockMovement
    from orders.models import Cart, Customer, Order, OrderImport, OrderLine, SavedOrderView
    from shipping.models import Return, Shipment, TrackingEvent

    models = (
        Order,
        OrderLine,
        Customer,
        Cart,
        Invoice,
        Payment,
        Shipment,
        TrackingEvent,
        Return,
        StockMovement,
        StockLevel,
        Reservation,
        DiscountCode,
        WebhookEndpoint,
        SavedOrderView,
        OrderImport,
        InvoiceBulkJob,
    )
    return [model._meta.db_table for model in models]


def _main_counts() -> tuple[int, ...]:
    """The row counts of the main tables, in one round trip."""
    from django.db import connection

    tables = _counted_tables()
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's own code in the traceback."""
    root = str(settings.BASE_DIR)
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(root) and ".venv" not in f.filename]
    frame = (ours or frames)[-1]
    return f"{frame.filename.removeprefix(root + '/')}:{frame.lineno}"


def _send(
    client,
    method: str,
    path: str,
    *,
    query="",
    body=None,
    multipart=False,
    htmx=False,
    counted=False,
    statuses=None,
    field=None,
):
    """One request in a savepoint that is rolled back; a failure as text, or None."""
    url = f"{path}?{query}" if query else path
    headers = {"HX-Request": "true"} if htmx else {}
    shown = body if isinstance(body, bytes) else repr(sorted(body)).encode() if body else b""
    label = f"{method} {url[:200]}" + (f" body={shown[:200]!r}" if shown else "")
    if field:
        label += f" [{field[0]}={field[1][:40]}]"
    try:
        with transaction.atomic():
            before = _main_counts() if counted else None
            if method == "GET":
                response = client.get(url, headers=headers)
            elif method != "POST":
                response = client.generic(method, url, data=body or b"", headers=headers)
            elif multipart:
                response = client.post(url, data=body, headers=headers)
            else:
                response = client.post(
                    url, data=body or b"", content_type="application/x-www-form-urlencoded", headers=headers
                )
            after = _main_counts() if counted else None
            transaction.set_rollback(True)
    except Exception as exc:  # every exception is what this test looks for
        return f"{label} -> {type(exc).__name__}: {str(exc)[:200]} at {_where(exc)}"
    if statuses is not None:
        statuses["status"] = response.status_code
    if response.status_code >= 500:
        return f"{label} -> {response.status_code}"
    if counted and before != after:
        changed = {t: (b, a) for t, b, a in zip(_counted_tables(), before, after, strict=True) if b != a}
        return f"{label} -> {response.status_code} but changed {changed}"
    return None


def _owner_client(world: World) -> Client:
    client = Client()
    client.force_login(world.owner)
    return client


def _forms_for(world: World, method: str, path: str) -> list[Form]:
    return world.values["forms"].get((method, path), [])


def _get_failures(client, world: World, name: str, path: str) -> list[str]:
    names = list(QUERY_NAMES)
    for form in _forms_for(world, "get", path):
        names += [n for n in form.names() if n not in names]
    queries = ["&".join(f"{quote(n, safe='')}={g}" for n in names) for g in [*GARBAGE, "-1"]]
    if _forms_for(world, "get", path) or any(word in name for word in QUERY_PAGES):
        queries += SINGLE_QUERIES
    statuses = {}
    failures = [_send(client, "GET", path, statuses=statuses)]
    if statuses.get("status") == 405:  # refused before the view reads anything
        return [f for f in failures if f]
    # Every other one as htmx asks for it: some pages answer a partial then.
    failures += [_send(client, "GET", path, query=q, htmx=bool(i % 2)) for i, q in enumerate(queries)]
    return [f for f in failures if f]


def _post_failures(client, world: World, name: str, path: str) -> list[str]:
    counted = name not in TAKES_ANY_TEXT
    # The other verbs first: a view that only asks "is it a POST?" must still take them calmly.
    failures = [_send(client, method, path, body=b"a=%00", counted=True) for method in OTHER_METHODS]
    statuses = {}
    failures.append(_send(client, "POST", path, counted=counted, statuses=statuses))
    if statuses.get("status") == 405:  # refused before the view reads anything
        return [f for f in failures if f]
    forms = _forms_for(world, "post", path) or [Form("post", "", [FormField(n, "text") for n in GENERIC_POST_NAMES])]
    for number, form in enumerate(forms):
        if form.has_file():
            failures += _file_failures(client, world, path, form, counted=counted)
            continue
        names = form.names()
        for index, value in enumerate(GARBAGE):
            body = _encode((n, value) for n in names)
            failures.append(_send(client, "POST", path, body=body, htmx=bool(index % 2), counted=counted))
        if not form.action:  # the generic names: no page filled them in
            continue
        defaults = [(n, quote(v, safe="")) for n, v in form.defaults()]
        kinds = {f.name: _field_kind(f) for f in form.fields}
        # Where the garbage can be no valid answer, the whole form must be refused and nothing change:
        # numbers and choices. Not text (garbage may be a fine note), a date (9999-12-31 may be a
        # fine end), a checkbox (any value ticks it) or a hidden field (the test client skips CSRF).
        typed = {f.name for f in form.fields if f.kind in ("select", "radio") or _field_kind(f) == "number"}
        # The form as filled in, posted to its URL with garbage in the query string (some views read
        # ``next``, ``sku`` or a location from there on a POST too).
        failures.append(_send(client, "POST", path, query=POST_QUERY, body=_encode(defaults), counted=False))
        shapes = set()
        for target in names:
            shape = re.sub(r"\d+", "N", target)  # one of a formset's rows (lines-0-…, lines-1-…) stands for all
            if shape in shapes or target == "csrfmiddlewaretoken":  # the test client does not check it
                continue
            shapes.add(shape)
            for index, value in enumerate(ONE_FIELD_GARBAGE[kinds[target]]):
                body = [(n, v) for n, v in defaults if n != target] + [(target, value)]
                htmx = bool((index + number) % 2)
                strict = counted and target in typed and not (value == "-1" and target in SIGNED_FIELDS)
                failures.append(
                    _send(client, "POST", path, body=_encode(body), htmx=htmx, counted=strict, field=(target, value))
                )
    return [f for f in failures if f]


def _garbage_files(world: World) -> list[bytes]:
    """Files each upload form gets: unreadable ones, and each import's own columns with bad values."""
    from shipping.services.order_import import COLUMNS

    sku, location = world.variant.sku, world.variant.stock_levels.first().location.code
    stock = ["sku,location,counted", f"{sku},{location},99999999999999999999", f"{sku},{location},-1"]
    stock += [f"{sku}\x00,{location},1", f"{sku},{location},²", f"{sku},{location},1e309"]
    tracking = ["tracking_number,status,occurred_at,external_id,place,description"]
    tracking += ["JD0001,in_transit,2026-13-45T99:99,,,", "JD0001,in_transit,2026-11-28T10:00,a\x00b,a\x00b,a\x00b"]
    tracking += ["JD0001,in_transit,0001-01-01T00:00,,,", "JD0001,in_transit,9999-12-31T23:59," + "x" * 3000 + ",,"]
    row = {"external_reference": "S-1", "channel": "phone", "email": "ada@example.com", "name": "Ada"}
    row |= {"line1": "Weg 1", "city": "Berlin", "postal_code": "10115", "country": "DE", "sku": sku}
    orders = [",".join(COLUMNS)]
    for column, value in [("quantity", "99999999999999999999"), ("quantity", "-1"), ("quantity", "²")] + [
        (column, value) for column in ("name", "email", "sku", "external_reference") for value in ("a\x00b", "x" * 3000)
    ]:
        orders.append(",".join({**row, "quantity": "1", column: value}.get(c, "") for c in COLUMNS))
    valid = ",".join({**row, "quantity": "1"}.get(c, "") for c in COLUMNS)
    long_orders = [orders[0], *[valid.replace("S-1", f"S-{n}") for n in range(100)], orders[-1].replace("x", "\x00")]
    return [("\n".join(lines) + "\n").encode() for lines in (stock, tracking, orders, long_orders)]


def _file_failures(client, world: World, path: str, form: Form, *, counted: bool) -> list[str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [f.name for f in form.fields if f.kind == "file"]
    others = [(n, v) for n, v in form.defaults() if n not in files]
    contents = [
        *_garbage_files(world),
        b"",
        b"\xff\xfe\x00\x00garbage\x00",
        b"a,b,c\n" + b"\x00" * 100 + b"\n",
        ("sku,quantity,location,tracking_number,status,occurred_at\n" + "x" * 5000 + ",-1,,,,\n").encode(),
        b"sku,quantity,location,tracking_number,status,occurred_at\nA,99999999999999999999999,1e309,X,bogus,2026-13-45\n",
    ]
    failures = []
    for content in contents:
        data = dict(others)
        for name in files:
            data[name] = SimpleUploadedFile("garbage.csv", content, content_type="text/csv")
        failures.append(_send(client, "POST", path, body=data, multipart=True, counted=counted))
    data = {n: "\x00" + "x" * 3000 for n, _v in others}
    for name in files:
        data[name] = SimpleUploadedFile("garbage.csv", contents[-1], content_type="text/csv")
    failures.append(_send(client, "POST", path, body=data, multipart=True, counted=counted))
    return [f for f in failures if f]


# Endpoints whose fields are all free text or none: an empty POST is the click itself and any
# text is a valid answer, so the row counts may follow (a view saved under the name "-1", an
# order cancelled with the reason "0", a parcel handed to whoever "a b" is). Bad input there
# must still never answer 500.
TAKES_ANY_TEXT = {
    "orders:order-cancel",
    "orders:order-view-save",
    "orders:order-view-delete",
    "shipping:shipment-ship",
    "shipping:shipment-picked-up",
}


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def test_every_pattern_has_real_objects(world):
    assert len(PATTERNS) > 60
    for name, route in PATTERNS:
        _path(world, name, route)
    assert world.values["forms"], "the crawl found no form at all"


@pytest.mark.parametrize(
    ("name", "route"),
    [pytest.param(n, r, id=n, marks=_marks("GET", n)) for n, r in PATTERNS],
)
def test_garbage_queries_never_answer_500(world, name, route):
    path = _path(world, name, route)
    failures = _get_failures(_owner_client(world), world, name, path)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("name", "route"),
    [pytest.param(n, r, id=n, marks=_marks("POST", n)) for n, r in PATTERNS],
)
def test_garbage_posts_never_answer_500_and_change_nothing(world, name, route):
    path = _path(world, name, route)
    failures = _post_failures(_owner_client(world), world, name, path)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("name", "route"),
    [pytest.param(n, r, id=n, marks=_marks("GET-anon", n)) for n, r in PUBLIC],
)
def test_public_pages_take_garbage_queries_anonymously(world, name, route):
    path = _path(world, name, route)
    failures = _get_failures(_visitor(world), world, name, path)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("name", "route"),
    [pytest.param(n, r, id=n, marks=_marks("POST-anon", n)) for n, r in PUBLIC],
)
def test_public_pages_take_garbage_posts_anonymously(world, name, route):
    path = _path(world, name, route)
    failures = _post_failures(_visitor(world), world, name, path)
    assert not failures, "\n".join(failures)


def test_the_sweep_reaches_the_forms_that_matter(world):
    """A guard against a crawl that silently finds nothing (a page renamed, a login lost)."""
    posted = {action for method, action in world.values["forms"] if method == "post"}
    for expected in (
        f"/billing/orders/{world.order.number}/payments/new/",
        "/stock/receive/",
        "/catalog/discounts/new/",
        f"/orders/{world.order.number}/cancel/",
        "/shop/checkout/",
    ):
        assert expected in posted, f"no form posts to {expected}: {sorted(posted)}"


# --------------------------------------------------------------------------------------------
# Signed machine endpoints: past the signature, the body itself is garbage
# --------------------------------------------------------------------------------------------

NASTY_TEXT = ["a\x00b", "x" * 5000, "", "²", "-1", "99999999999999999999999999"]
NASTY_NUMBERS = ["1e999999", "NaN", "-Infinity", "-1", "0", "99999999999999999999999999.99", "1e-999999", "abc"]
NASTY_TIMES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "2026-13-45T99:99", "a\x00b", ""]


def _carrier_bodies(tracking_number: str) -> list[bytes]:
    import json

    def event(**overrides):
        base = {"tracking_number": tracking_number, "status": "in_transit", "occurred_at": "2026-11-28T10:00:00"}
        return {**base, **overrides}

    events = [event(tracking_number=t) for t in NASTY_TEXT]
    events += [event(status=t) for t in NASTY_TEXT]
    events += [event(occurred_at=t) for t in NASTY_TIMES]
    events += [event(external_id=t, place=t, description=t) for t in NASTY_TEXT]
    bodies = [json.dumps({"events": [e]}).encode() for e in events]
    bodies += [b"", b"{", b"\xff\xfe", b"[]", b'{"events": {}}', b'{"events": [1, null, "x"]}', b"1e999999"]
    return bodies


def _payment_bodies(order_number: str) -> list[bytes]:
    import json

    def message(**overrides):
        base = {"id": "pay_sweep", "order": order_number, "amount": "1.00", "currency": "EUR"}
        return json.dumps({**base, **overrides}).encode()

    bodies = [message(amount=n) for n in NASTY_NUMBERS]
    bodies += [message(id=t) for t in NASTY_TEXT] + [message(order=t) for t in NASTY_TEXT]
    bodies += [message(currency=t) for t in NASTY_TEXT] + [message(status=t) for t in NASTY_TEXT]
    bodies += [message(amount=1e308), message(amount=None), message(id=None, order=None)]
    bodies += [b"", b"{", b"\xff\xfe", b"[]", b"null", b'{"id": {}, "order": [], "amount": {}}']
    return bodies


def test_a_carrier_webhook_signed_with_a_garbage_body_never_answers_500(world):
    from shipping.services.tracking_updates import SIGNATURE_HEADER, sign

    client = Client()
    path = f"/shipping/webhooks/carriers/{world.carrier.code}/"
    failures = []
    for body in _carrier_bodies(world.delivered.shipments.first().tracking_number):
        headers = {SIGNATURE_HEADER: sign(secret=world.carrier.secret, body=body)}
        failures.append(_send_raw(client, path, body, headers))
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures)


def test_a_payment_webhook_signed_with_a_garbage_body_never_answers_500(world, settings):
    import time

    from billing.providers import sign

    settings.PAYMENT_WEBHOOK_SECRET = "sweep-secret"
    client = Client()
    failures = []
    for body in _payment_bodies(world.order.number):
        timestamp = str(int(time.time()))
        headers = {
            "X-Backroom-Timestamp": timestamp,
            "X-Backroom-Signature": sign(secret="sweep-secret", timestamp=timestamp, body=body),
        }
        failures.append(_send_raw(client, "/billing/webhooks/webhook/", body, headers))
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures)


def _send_raw(client, path: str, body: bytes, headers: dict) -> str | None:
    label = f"POST {path} body={body[:200]!r}"
    try:
        with transaction.atomic():
            response = client.post(path, data=body, content_type="application/json", headers=headers)
            transaction.set_rollback(True)
    except Exception as exc:  # every exception is what this test looks for
        return f"{label} -> {type(exc).__name__}: {str(exc)[:200]} at {_where(exc)}"
    if response.status_code >= 500:
        return f"{label} -> {response.status_code}"
    return None
