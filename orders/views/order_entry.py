"""The new-order page for phone and counter sales.

Plain form posts carry every essential (add a line, pick a customer, update the totals,
save a draft, place), so the page works without JavaScript; htmx makes the customer and
product search and the totals live. The page's state is the posted form: the lines travel
as ``line_sku`` / ``line_quantity`` lists, the chosen customer as a hidden id.

A double click must not place two orders: every rendering of the page carries a one-time
token kept in the session, and placing spends it; a second post with a spent token is
sent to the order the first one placed (waiting a few seconds for it while the first is
still placing, and never answered with a form that would place it again).
"""

import logging
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from billing.exceptions import BillingError
from billing.services import place_order_and_invoice_on_terms
from catalog.forms import parse_row_id
from catalog.models import Channel
from catalog.money import ZERO, quantize
from catalog.templatetags.money import format_money
from inventory.exceptions import InsufficientStock, InventoryError
from inventory.models import Location
from inventory.selectors import find_variant_by_code
from orders.exceptions import InvalidOrder, OrderError
from orders.forms import OrderEntryForm, discount_limit_for, parse_entry_lines
from orders.models import Customer, Order, OrderStatus
from orders.selectors.order_entry import (
    get_availability_by_location,
    get_variants_by_sku,
    list_open_drafts,
    search_customers,
    search_products,
)
from orders.services import (
    InvalidCustomer,
    LineInput,
    OrderEntry,
    check_payment_choice,
    preview_order,
    save_draft_order,
)
from shipping.exceptions import ShippingError
from shipping.services import quote_shipping
from shipping.services.counter import complete_counter_sale

TOKENS_KEY = "order_entry_tokens"
PLACED_KEY = "order_entry_placed"
TOKENS_KEPT = 20
SPENT_KEY_PREFIX = "order-entry-token:"
SPENT_KEY_SECONDS = 24 * 60 * 60
# What a spent token's cache entry holds until its order has a number.
PLACING = "placing"
# How long a second post waits for the first one's order before saying it is still being placed.
TWIN_WAIT_SECONDS = 5.0

logger = logging.getLogger(__name__)


# --- the one-time token -----------------------------------------------------------------


def _issue_token(request: HttpRequest) -> str:
    token = secrets.token_urlsafe(16)
    tokens = request.session.get(TOKENS_KEY, [])[-(TOKENS_KEPT - 1) :]
    request.session[TOKENS_KEY] = [*tokens, token]
    return token


def _spend_token(request: HttpRequest, token: str) -> bool:
    """Spend the token before placing, so that a second post of the same form finds it gone.

    The session says whether this page issued it; ``cache.add`` (atomic on Redis) makes sure
    that of two posts racing each other (a double click) only one goes on to place.
    """
    tokens = request.session.get(TOKENS_KEY, [])
    if not token or token not in tokens:
        return False
    try:
        claimed = cache.add(f"{SPENT_KEY_PREFIX}{token}", PLACING, timeout=SPENT_KEY_SECONDS)
    except Exception:
        # The cache (Redis) is restarting: the session alone guards the token meanwhile; a
        # clerk must still be able to take the order on the phone.
        logger.warning("Order entry: cache unreachable, the one-time token is checked by the session only.")
        claimed = True
    if not claimed:
        return False
    request.session[TOKENS_KEY] = [t for t in tokens if t != token]
    request.session.save()
    return True


def _placed_with_token(request: HttpRequest, token: str) -> str | None:
    """The number of the order a spent token placed; ``PLACING`` while its post is still placing.

    A double click's second post usually arrives while the first is placing: it waits up to
    ``TWIN_WAIT_SECONDS`` for the first one's number rather than answer with a form.
    """
    number = request.session.get(PLACED_KEY, {}).get(token)
    if number or not token:
        return number
    deadline = time.monotonic() + TWIN_WAIT_SECONDS
    while True:
        try:
            found = cache.get(f"{SPENT_KEY_PREFIX}{token}")
        except Exception:
            return None
        if found != PLACING or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def _give_back_token(request: HttpRequest, token: str) -> None:
    """Nothing was placed: the same form may be posted again once corrected."""
    try:
        cache.delete(f"{SPENT_KEY_PREFIX}{token}")
    except Exception:
        logger.warning("Order entry: cache unreachable, a refused placement's token stays spent there.")
    request.session[TOKENS_KEY] = [*request.session.get(TOKENS_KEY, []), token]


def _remember_placed(request: HttpRequest, token: str, number: str) -> None:
    placed = dict(list(request.session.get(PLACED_KEY, {}).items())[-(TOKENS_KEPT - 1) :])
    placed[token] = number
    request.session[PLACED_KEY] = placed
    try:  # a twin post of another request waits for this
        cache.set(f"{SPENT_KEY_PREFIX}{token}", number, timeout=SPENT_KEY_SECONDS)
    except Exception:
        logger.warning("Order entry: cache unreachable, order %s kept in the session only.", number)


# --- the page's state -------------------------------------------------------------------


@dataclass
class EntryState:
    """What the page shows: the form, the priced lines, the totals, what went wrong."""

    form: OrderEntryForm
    channel: Channel | None = None
    customer: Customer | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    shipping_amount: Decimal = ZERO
    errors: list[str] = field(default_factory=list)
    product_hits: list = field(default_factory=list)
    customer_hits: list = field(default_factory=list)
    entry: OrderEntry | None = None
    priced_ok: bool = False


def _default_channel() -> Channel | None:
    channels = OrderEntryForm.base_fields["channel"].queryset
    return channels.filter(kind=Channel.Kind.PHONE).first() or channels.first()


def _shipping_price(*, method, channel: Channel, subtotal: Decimal, weight_grams: int) -> Decimal:
    """The shipping service's quote; a method it refuses costs its list price (the page says so)."""
    try:
        return quote_shipping(method=method, channel=channel, subtotal=subtotal, weight_grams=weight_grams)
    except ShippingError:  # a method that cannot carry this parcel: its list price
        return method.price_amount


def _build_state(request: HttpRequest, data: QueryDict, *, search: bool = True) -> EntryState:
    """Read the posted page, apply its small actions (add, remove, pick), price it."""
    data = data.copy()
    lines, errors = parse_entry_lines(data)
    # Picking a customer or clearing one is a button on the page; it only changes the state.
    if data.get("pick_customer"):
        data["customer"] = data["pick_customer"]
        data["customer_query"] = ""
    if data.get("clear_customer"):
        data["customer"] = ""
    add_sku = data.get("add_sku", "").strip()
    add_code = data.get("add_code", "").strip()
    action = data.get("action", "")
    form = OrderEntryForm(data, user=request.user)
    form.is_valid()
    cleaned = form.cleaned_data
    channel = cleaned.get("channel") or _default_channel()
    customer = None
    if cleaned.get("customer"):
        customer = Customer.objects.select_related("group").filter(pk=cleaned["customer"]).first()
    state = EntryState(form=form, channel=channel, customer=customer, errors=errors)
    try:
        add_quantity = max(int(data.get("add_quantity") or 1), 1)
    except ValueError:
        add_quantity = 1
    added = None
    if add_sku:
        added = add_sku
    elif add_code and action == "add_line":
        variant = find_variant_by_code(code=add_code)
        if variant is not None:
            added = variant.sku
    if added:
        merged = dict(lines)
        merged[added] = merged.get(added, 0) + add_quantity
        lines = list(merged.items())
        data["add_code"] = ""
        data["add_quantity"] = "1"
    elif add_code and search and channel is not None:
        state.product_hits = search_products(query=add_code, channel=channel, customer=customer)
        if action == "add_line" and not state.product_hits:
            state.errors.append(_("No product matches “%(code)s”.") % {"code": add_code})
    if search and not customer and data.get("customer_query", "").strip():
        state.customer_hits = list(search_customers(query=data["customer_query"]))
    if added or data.get("pick_customer") or data.get("clear_customer"):
        form = OrderEntryForm(data, user=request.user)
        form.is_valid()
        state.form = form
    state.lines = lines
    if channel is not None:
        _price(state)
    return state


def _price(state: EntryState) -> None:
    form, channel = state.form, state.channel
    cleaned = form.cleaned_data
    variants = get_variants_by_sku(skus=[sku for sku, _q in state.lines])
    unknown = [sku for sku, _q in state.lines if sku not in variants]
    if unknown:
        state.errors.append(_("Unknown SKU: %(skus)s.") % {"skus": ", ".join(unknown)})
    inputs = [LineInput(variant=variants[sku], quantity=q) for sku, q in state.lines if sku in variants]
    discount = cleaned.get("discount_percent")
    if discount is None:
        discount = ZERO
    delivery = cleaned.get("delivery") or OrderEntryForm.DELIVERY_SHIP
    method = cleaned.get("shipping_method") if delivery == OrderEntryForm.DELIVERY_SHIP else None
    pickup = cleaned.get("pickup_location") if delivery == OrderEntryForm.DELIVERY_PICKUP else None
    new_customer = form.new_customer() if state.customer is None else None
    contact = {}
    if delivery == OrderEntryForm.DELIVERY_COUNTER and new_customer and not _named(new_customer):
        # A walk-in who gives only an address for the receipt: nobody asks their name, and
        # no customer record is made for them; the order keeps the address for the invoice.
        contact = {"email": new_customer["email"].strip().lower(), "phone": new_customer["phone"].strip()}
        new_customer = None
    entry = OrderEntry(
        channel=channel,
        lines=inputs,
        customer=state.customer,
        new_customer=new_customer,
        **contact,
        shipping_address=form.address() if delivery == OrderEntryForm.DELIVERY_SHIP else {},
        shipping_method=method,
        pickup_location=pickup,
        discount_percent=discount,
        discount_code=cleaned.get("discount_code", ""),
        notes=cleaned.get("notes", ""),
        # A sale taken now is paid at the counter there and then: no way to pay to keep.
        payment_choice="" if delivery == OrderEntryForm.DELIVERY_COUNTER else cleaned.get("payment_choice", ""),
    )
    try:
        check_payment_choice(entry=entry)
    except InvalidOrder as exc:  # said next to the field at once, not only when placing
        form.add_error("payment_choice", exc.message)
    try:
        try:
            priced, totals = preview_order(entry=entry)
        except InvalidOrder as exc:
            if exc.field != "discount_code":
                raise
            # A refused code is said next to its field; the totals are shown without it.
            form.add_error("discount_code", exc.message)
            entry.discount_code = ""
            priced, totals = preview_order(entry=entry)
    except OrderError as exc:
        state.errors.append(exc.message)
        state.entry = entry
        return
    if method is not None:
        goods = totals["subtotal_amount"] - totals["discount_amount"]
        weight = sum((line.variant.weight_grams or 0) * line.quantity for line in inputs)
        entry.shipping_amount = quantize(
            _shipping_price(method=method, channel=channel, subtotal=goods, weight_grams=weight)
        )
        priced, totals = preview_order(entry=entry)
    availability = get_availability_by_location(variant_ids=[i.variant.pk for i in inputs], channel=channel)
    by_variant = {line.variant_id: line for line in priced}
    state.rows = [
        {
            "line": by_variant[i.variant.pk],
            "variant": i.variant,
            "by_location": availability.get(i.variant.pk, []),
            "available": sum(a for _n, a in availability.get(i.variant.pk, [])),
        }
        for i in inputs
    ]
    state.totals = totals
    state.shipping_amount = entry.shipping_amount
    state.entry = entry
    state.priced_ok = True


def _initial_from_draft(draft: Order) -> tuple[dict, list[tuple[str, int]]]:
    address = draft.shipping_address or {}
    delivery = OrderEntryForm.DELIVERY_PICKUP if draft.pickup_location_id else OrderEntryForm.DELIVERY_SHIP
    discount = ZERO
    if draft.subtotal_amount and draft.discount_amount:
        discount = quantize(draft.discount_amount * 100 / draft.subtotal_amount)
    initial = {
        **{name: address.get(name, "") for name in OrderEntryForm.ADDRESS_FIELDS},
        "channel": draft.channel_id,
        "customer": draft.customer_id,
        "delivery": delivery,
        "shipping_method": draft.shipping_method_id,
        "pickup_location": draft.pickup_location_id,
        "discount_percent": ZERO if draft.discount_code else discount,
        "discount_code": draft.discount_code,
        "payment_choice": draft.payment_choice,
        "notes": draft.notes,
        "draft": draft.pk,
    }
    return initial, [(line.sku, line.quantity) for line in draft.lines.all()]


def _named(new_customer: dict) -> bool:
    return any(new_customer[key].strip() for key in ("first_name", "last_name", "company_name"))


def _as_querydict(initial: dict, lines: list[tuple[str, int]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        if value is not None:
            data[key] = str(value)
    for sku, quantity in lines:
        data.appendlist("line_sku", sku)
        data.appendlist("line_quantity", str(quantity))
    return data


def _render(
    request: HttpRequest, state: EntryState, *, draft: Order | None, status: int = 200, token: str = ""
) -> HttpResponse:
    """The page; ``token`` keeps a spent one in the form (its order is still being placed)."""
    if not token:
        token = state.form.data.get("token") if state.form.is_bound else ""
        if not token or token not in request.session.get(TOKENS_KEY, []):
            token = _issue_token(request)
    return render(
        request,
        "orders/order_new.html",
        {
            "state": state,
            "form": state.form,
            "draft": draft,
            "token": token,
            "discount_limit": discount_limit_for(request.user),
            "currency": state.channel.price_list.currency if state.channel else "",
            "drafts": list_open_drafts() if draft is None and request.method == "GET" else [],
        },
        status=status,
    )


def _done(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
@permission_required("orders.add_order", raise_exception=True)
def order_new_view(request: HttpRequest, draft_id: int | None = None) -> HttpResponse:
    draft = None
    if draft_id is not None:
        draft = get_object_or_404(Order.objects.select_related("channel"), pk=draft_id)
        if draft.status != OrderStatus.DRAFT:
            messages.info(request, _("This draft has been placed already."))
            if draft.number:
                return redirect("orders:order-detail", number=draft.number)
            return redirect("orders:order-new")
    if request.method != "POST":
        if draft is not None:
            initial, lines = _initial_from_draft(draft)
            state = _build_state(request, _as_querydict(initial, lines), search=False)
            state.form.errors.clear()  # a draft may be half done: do not shout at it on resume
        else:
            channel = _default_channel()
            data = _as_querydict(
                {"channel": channel.pk if channel else "", "delivery": OrderEntryForm.DELIVERY_SHIP, "country": "DE"},
                [],
            )
            state = _build_state(request, data, search=False)
            state.form = OrderEntryForm(
                initial={"channel": channel, "delivery": OrderEntryForm.DELIVERY_SHIP, "country": "DE"},
                user=request.user,
            )
        return _render(request, state, draft=draft)

    state = _build_state(request, request.POST)
    action = request.POST.get("action", "")
    if action not in ("place", "save_draft"):
        return _render(request, state, draft=draft)
    return _finish(request, state, draft=draft, action=action)


def _finish(request: HttpRequest, state: EntryState, *, draft: Order | None, action: str) -> HttpResponse:
    form = state.form
    ok = form.is_valid() and state.priced_ok and not state.errors
    cleaned = form.cleaned_data if form.is_valid() else {}
    # The view holds the discount limit even if the form were bypassed.
    limit = discount_limit_for(request.user)
    if limit is not None and (state.entry and Decimal(state.entry.discount_percent) > limit):
        state.errors.append(_("Staff may give at most %(limit)s %% discount; ask the owner.") % {"limit": limit})
        ok = False
    no_customer = state.customer is None and (state.entry is None or not state.entry.new_customer)
    if no_customer and action == "place" and cleaned.get("delivery") != OrderEntryForm.DELIVERY_COUNTER:
        state.errors.append(_("Choose a customer or enter a new one."))
        ok = False
    if action == "place":
        if not state.lines:
            state.errors.append(_("Add at least one item to the order."))
            ok = False
        delivery = cleaned.get("delivery")
        if delivery == OrderEntryForm.DELIVERY_SHIP:
            if not cleaned.get("shipping_method"):
                form.add_error("shipping_method", _("Choose how the order is shipped."))
                ok = False
            if not form.check_address():
                ok = False
        elif delivery == OrderEntryForm.DELIVERY_PICKUP and not cleaned.get("pickup_location"):
            form.add_error("pickup_location", _("Choose where the customer picks the order up."))
            ok = False
    if not ok:
        return _render(request, state, draft=draft, status=400)

    if action == "save_draft":
        try:
            saved = save_draft_order(entry=state.entry, draft=draft, by=request.user)
        except (OrderError, InventoryError) as exc:
            _service_error(state, exc)
            return _render(request, state, draft=draft, status=400)
        messages.success(request, _("Draft saved; it holds no stock until it is placed."))
        return _done(request, reverse("orders:order-draft", kwargs={"draft_id": saved.pk}))

    token = request.POST.get("token", "")
    if not _spend_token(request, token):
        number = _placed_with_token(request, token)
        if number == PLACING:
            # Keep the spent token: posting this page again leads to the order, never to a second one.
            state.errors.append(
                _("This order is still being placed (a second click?). It will be in the order list in a moment.")
            )
            return _render(request, state, draft=draft, status=409, token=token)
        if number:
            messages.info(request, _("Order %(number)s was placed already.") % {"number": number})
            return _done(request, reverse("orders:order-detail", kwargs={"number": number}))
        state.errors.append(_("This form was already used or has expired; check it and place the order again."))
        return _render(request, state, draft=draft, status=409)
    counter = cleaned.get("delivery") == OrderEntryForm.DELIVERY_COUNTER
    try:
        if counter:
            sale = complete_counter_sale(
                entry=state.entry,
                location=_counter_location(state.channel),
                payment_method=cleaned.get("payment_method") or "cash",
                reference=cleaned.get("payment_reference", ""),
                cash_tendered=cleaned.get("cash_tendered"),
                draft=draft,
                by=request.user,
            )
            order = sale.order
        else:
            order = place_order_and_invoice_on_terms(entry=state.entry, draft=draft, by=request.user)
    except (OrderError, InventoryError, BillingError, ShippingError) as exc:
        _give_back_token(request, token)
        _service_error(state, exc)
        return _render(request, state, draft=draft, status=409 if isinstance(exc, InsufficientStock) else 400)
    _remember_placed(request, token, order.number)
    if counter:
        messages.success(
            request,
            _("Sale %(number)s done: %(total)s paid, goods handed over. Change due: %(change)s.")
            % {
                "number": order.number,
                "total": format_money(order.total_amount, order.currency),
                "change": format_money(sale.change_due, order.currency),
            },
        )
    else:
        messages.success(
            request,
            _("Order %(number)s placed: %(total)s.")
            % {"number": order.number, "total": format_money(order.total_amount, order.currency)},
        )
    return _done(request, reverse("orders:order-detail", kwargs={"number": order.number}))


class NoCounter(OrderError):
    pass


def _counter_location(channel: Channel) -> Location:
    """The shop the goods are handed over in: the channel's first store location."""
    location = (
        Location.objects.filter(channels=channel, is_active=True, kind=Location.Kind.STORE)
        .order_by("priority", "name")
        .first()
    )
    if location is None:
        raise NoCounter(_("The channel %(channel)s has no shop to hand goods over in.") % {"channel": channel.name})
    return location


def _service_error(state: EntryState, exc: Exception) -> None:
    if isinstance(exc, InvalidCustomer) and exc.field:
        state.form.add_error(f"new_{exc.field}" if exc.field != "company_name" else "new_company", exc.message)
    elif isinstance(exc, InvalidOrder) and exc.field in ("discount_code", "payment_choice"):
        state.form.add_error(exc.field, exc.message)
    else:
        state.errors.append(exc.message)


# --- htmx endpoints ---------------------------------------------------------------------


@login_required
@permission_required("orders.add_order", raise_exception=True)
def entry_customer_search_view(request: HttpRequest) -> HttpResponse:
    hits = search_customers(query=request.GET.get("customer_query", ""))
    return render(
        request,
        "orders/partials/_entry_customers.html",
        {"hits": hits, "query": request.GET.get("customer_query", "")},
    )


@login_required
@permission_required("orders.add_order", raise_exception=True)
def entry_product_search_view(request: HttpRequest) -> HttpResponse:
    # A channel id that is not a number (a hand-edited URL) falls back to the default channel.
    channel_id, customer_id = parse_row_id(request.GET.get("channel")), parse_row_id(request.GET.get("customer"))
    channel = Channel.objects.filter(pk=channel_id).select_related("price_list").first() if channel_id else None
    channel = channel or _default_channel()
    customer = Customer.objects.select_related("group").filter(pk=customer_id).first() if customer_id else None
    query = request.GET.get("add_code", "")
    hits = search_products(query=query, channel=channel, customer=customer) if channel else []
    return render(
        request,
        "orders/partials/_entry_products.html",
        {"hits": hits, "query": query, "currency": channel.price_list.currency if channel else ""},
    )


@login_required
@permission_required("orders.add_order", raise_exception=True)
def entry_totals_view(request: HttpRequest) -> HttpResponse:
    state = _build_state(request, request.POST, search=False)
    return render(
        request,
        "orders/partials/_entry_totals.html",
        {
            "state": state,
            "oob": True,
            # The delivery decides which ways to pay are offered: that block is sent again too.
            "payment_oob": request.htmx.trigger_name == "delivery",
            "currency": state.channel.price_list.currency if state.channel else "",
        },
    )
