"""The Django admin as a back-office tool: every page answers, lists cost a fixed number of
queries, history cannot be rewritten, and order transitions go through the services."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceSequence, Payment
from catalog.models import DiscountCode, DiscountRedemption, StoreSettings, WebhookDelivery, WebhookEndpoint
from inventory.models import Reservation, StockLevel, StockMovement
from orders.models import BlockedContact, Order, OrderEvent, OrderImport, OrderLine, SavedOrderView
from shipping.models import (
    CarrierAccount,
    CarrierHandoff,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
    ShippingMethod,
    ShippingRate,
    TrackingEvent,
)
from tests.catalog.factories import ChannelFactory, CustomerGroupFactory, VariantFactory
from tests.inventory.factories import LocationFactory
from tests.orders.factories import AddressFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

APPS = ("catalog", "inventory", "orders", "billing", "shipping")
HISTORY_MODELS = (StockMovement, OrderEvent, Invoice, Reservation, TrackingEvent)
WRITTEN_BY_SERVICES_ONLY = (StockMovement, OrderEvent, Invoice, Reservation)
# Generous but fixed: session, user, count queries, one per list filter, the rows.
MAX_CHANGELIST_QUERIES = 20


def project_models():
    return [model for label in APPS for model in apps.get_app_config(label).get_models()]


def model_id(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_order(*, number: str, status: str = Order.Status.PLACED, channel=None, customer=None, **fields) -> Order:
    """A placed order with one line, written directly (the admin only reads it)."""
    channel = channel or ChannelFactory()
    customer = customer or CustomerFactory()
    order = Order.objects.create(
        channel=channel,
        customer=customer,
        number=number,
        status=status,
        placed_at=timezone.now(),
        customer_name=customer.full_name,
        currency="EUR",
        subtotal_amount=Decimal("20.00"),
        tax_amount=Decimal("3.80"),
        total_amount=Decimal("23.80"),
        **fields,
    )
    variant = VariantFactory(price__channel=channel)
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku,
        product_name=variant.product.name,
        variant_name=variant.name,
        quantity=2,
        unit_price_amount=Decimal("10.00"),
        tax_rate=Decimal("19.00"),
        line_total_amount=Decimal("20.00"),
    )
    return order


def add_rows(count: int, *, start: int = 0) -> None:
    """``count`` orders, each with its own customer, variant, stock, money, shipment and history.

    Each row brings its own related objects, so that a changelist that fetches them row by
    row costs more queries with more rows.
    """
    from orders.models import IdempotencyKey

    channel = ChannelFactory()
    location = LocationFactory()
    method, _ = ShippingMethod.objects.get_or_create(
        code="parcel", defaults={"name": "Parcel", "carrier": "DHL", "price_amount": Decimal("4.90")}
    )
    method.channels.add(channel)
    ShippingRate.objects.get_or_create(method=method, max_weight_grams=1000 + start, defaults={"price_amount": 4})
    carrier, _ = CarrierAccount.objects.get_or_create(code="dhl", defaults={"name": "DHL"})
    user = UserFactory()
    for i in range(start, start + count):
        customer = CustomerFactory(group=CustomerGroupFactory())
        AddressFactory(customer=customer)
        order = make_order(number=str(1001 + i), channel=channel, customer=customer, created_by=user)
        line = order.lines.get()
        level = StockLevel.objects.create(variant=line.variant, location=location, on_hand=10, reserved=2)
        StockMovement.objects.create(
            variant=line.variant,
            location=location,
            kind=StockMovement.Kind.RECEIPT,
            quantity=10,
            by=user,
            order_line=line,
            created_at=timezone.now(),
        )
        Reservation.objects.create(order_line=line, stock_level=level, quantity=2)
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PLACED, by=user, message="Placed")
        Payment.objects.create(
            order=order, method=Payment.Method.CARD, amount=Decimal("23.80"), currency="EUR", recorded_by=user
        )
        Invoice.objects.create(
            order=order,
            series="INV",
            year=2026,
            sequence_number=i + 1,
            number=f"INV-2026-{i + 1:05d}",
            net_amount=Decimal("20.00"),
            tax_amount=Decimal("3.80"),
            total_amount=Decimal("23.80"),
            issued_at=timezone.now(),
        )
        shipment = Shipment.objects.create(order=order, method=method, location=location, created_by=user)
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=2)
        TrackingEvent.objects.create(shipment=shipment, status=Shipment.Status.SHIPPED, occurred_at=timezone.now())
        CarrierHandoff.objects.create(shipment=shipment, carrier=carrier, sent_at=timezone.now())
        returned = Return.objects.create(order=order, reason=Return.Reason.OTHER, created_by=user)
        ReturnLine.objects.create(return_request=returned, order_line=line, quantity=1)
        SavedOrderView.objects.create(user=user, name=f"View {1001 + i}", query_string=f"q={1001 + i}", position=i)
        IdempotencyKey.objects.create(user=user, key=f"key-{1001 + i}", fingerprint="0" * 64, method="POST", path="/")
        BlockedContact.objects.create(kind=BlockedContact.Kind.EMAIL, value=f"fraud{1001 + i}@example.com")
        from orders.models import Cart, CartEvent, CartLine  # the storefront's carts (one hunk, one owner)

        cart = Cart.objects.create(channel=channel, email=customer.email, customer=customer)
        CartLine.objects.create(cart=cart, variant=line.variant, quantity=1)
        CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.ITEM_ADDED, variant=line.variant, quantity=1)
        hook = WebhookEndpoint.objects.create(url=f"https://example.com/hooks/{i}", events=["order.placed"])
        WebhookDelivery.objects.create(endpoint=hook, event="order.placed", payload={"number": str(1001 + i)})
        OrderImport.objects.create(filename=f"export-{i}.csv", content="x", created_by=user)
        code = DiscountCode.objects.create(code=f"CODE{1001 + i}", value=Decimal("10.00"), times_used=1)
        DiscountRedemption.objects.create(code=code, order=order, email=order.email, amount=Decimal("2.00"))
        from billing.models import InvoiceBulkJob  # the bulk ZIP / re-send jobs

        InvoiceBulkJob.objects.create(kind="zip", invoice_ids=[i + 1], total=1, done=1, created_by=user)
    InvoiceSequence.objects.update_or_create(series="INV", year=2026, defaults={"last_number": start + count})
    StoreSettings.objects.get_or_create(pk=1)


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------
# Every page answers
# ------------------------------------------------------------------------------
def test_every_model_of_the_five_apps_is_registered():
    # given
    models = project_models()
    # when
    missing = [model_id(m) for m in models if not admin.site.is_registered(m)]
    # then
    assert len(models) >= 20
    assert missing == []


def test_admin_site_is_titled_backroom():
    # then
    assert str(admin.site.site_header) == "Backroom administration"


@pytest.mark.parametrize("model", project_models(), ids=model_id)
def test_changelist_change_and_add_pages_answer(superuser_client, model):
    # given
    add_rows(2)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the dataset has no {model_id(model)}"
    model_admin = admin.site.get_model_admin(model)
    # when
    changelist = superuser_client.get(admin_url(model, "changelist"))
    change = superuser_client.get(admin_url(model, "change", obj.pk))
    add = superuser_client.get(admin_url(model, "add"))
    searched = superuser_client.get(admin_url(model, "changelist"), {"q": "1001"})
    # then
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    assert change.status_code == 200
    assert searched.status_code == 200
    can_add = model_admin.has_add_permission(changelist.wsgi_request)
    assert add.status_code == (200 if can_add else 403)


# ------------------------------------------------------------------------------
# Changelists cost a fixed number of queries
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("model", project_models(), ids=model_id)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model, django_assert_max_num_queries):
    # given
    add_rows(2)
    url = admin_url(model, "changelist")
    superuser_client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    add_rows(18, start=2)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(url)
    assert response.status_code == 200
    assert len(few.captured_queries) <= MAX_CHANGELIST_QUERIES


def test_order_changelist_shows_money_with_currency_and_status_labels(superuser_client):
    # given
    make_order(number="1001", payment_status=Order.PaymentStatus.PARTIALLY_PAID)
    # when
    response = superuser_client.get(admin_url(Order, "changelist"))
    # then
    content = response.content.decode()
    assert "23.80" in content
    assert "€" in content or "EUR" in content
    assert "Partially paid" in content
    assert "partially_paid</td>" not in content


def test_related_rows_link_to_their_order(superuser_client):
    # given
    add_rows(1)
    order = Order.objects.get(number="1001")
    # when
    response = superuser_client.get(admin_url(Payment, "changelist"))
    # then
    assert f'<a href="{admin_url(Order, "change", order.pk)}">1001</a>' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("1001", "number"),
        ("ada@example.org", "email"),
        ("Lovelace", "customer_name"),
        ("+49 171 555", "phone"),
        ("AMZ-77", "external_reference"),
        ("SKU-SEARCH", "lines__sku"),
    ],
)
def test_order_search_finds_by_number_contact_reference_and_sku(superuser_client, query, field):
    # given
    order = make_order(number="1001", email="ada@example.org", phone="+49 171 5550", external_reference="AMZ-77")
    Order.objects.filter(pk=order.pk).update(customer_name="Ada Lovelace")
    OrderLine.objects.filter(order=order).update(sku="SKU-SEARCH-1")
    make_order(number="2002")
    # when
    response = superuser_client.get(admin_url(Order, "changelist"), {"q": query})
    # then
    assert [o.number for o in response.context["cl"].result_list] == ["1001"]


def test_order_search_finds_by_tracking_code(superuser_client):
    # given
    order = make_order(number="1001")
    make_order(number="2002")
    # when
    response = superuser_client.get(admin_url(Order, "changelist"), {"q": order.tracking_code})
    # then
    assert [o.number for o in response.context["cl"].result_list] == ["1001"]


# ------------------------------------------------------------------------------
# History is read-only
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("model", HISTORY_MODELS, ids=model_id)
def test_history_refuses_change_and_delete(superuser_client, model):
    # given
    add_rows(1)
    obj = model._default_manager.order_by("pk").first()
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    # when
    change = superuser_client.post(admin_url(model, "change", obj.pk), {})
    delete = superuser_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    changelist = superuser_client.get(admin_url(model, "changelist"))
    # then
    assert change.status_code == 403
    assert delete.status_code == 403
    assert "delete_selected" not in _action_names(changelist)
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before


@pytest.mark.parametrize("model", WRITTEN_BY_SERVICES_ONLY, ids=model_id)
def test_ledger_timeline_reservations_and_invoices_cannot_be_added(superuser_client, model):
    # when
    response = superuser_client.post(admin_url(model, "add"), {})
    # then
    assert response.status_code == 403
    assert not model._default_manager.exists()


def test_stock_level_quantities_are_read_only_but_threshold_is_editable(superuser_client):
    # given
    add_rows(1)
    level = StockLevel.objects.get()
    url = admin_url(StockLevel, "change", level.pk)
    form_page = superuser_client.get(url)
    data = _management_data(form_page)
    # when
    response = superuser_client.post(url, {**data, "on_hand": "999", "reserved": "0", "low_stock_threshold": "3"})
    # then
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.low_stock_threshold) == (10, 2, 3)


def test_order_lifecycle_fields_are_not_in_the_form(rf):
    # given
    order = make_order(number="1001")
    request = rf.get("/")
    request.user = UserFactory(username="root", is_superuser=True)
    # when
    form_class = admin.site.get_model_admin(Order).get_form(request, order)
    # then
    locked = {"status", "payment_status", "fulfilment_status", "number", "tracking_code", "total_amount"}
    assert locked.isdisjoint(form_class.base_fields)


def _action_names(response) -> set[str]:
    action_form = response.context.get("action_form")
    return {name for name, _label in action_form.fields["action"].choices if name} if action_form else set()


def _management_data(response) -> dict[str, str]:
    """The inline formsets' management form values, as the browser would send them back."""
    data: dict[str, str] = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = str(management.initial.get(name, field.initial or ""))
    return data


# ------------------------------------------------------------------------------
# Order actions call the services
# ------------------------------------------------------------------------------
def test_cancel_action_asks_for_confirmation_first(superuser_client):
    # given
    order = make_order(number="1001")
    # when
    response = superuser_client.post(
        admin_url(Order, "changelist"), {"action": "cancel_orders", ACTION_CHECKBOX_NAME: [order.pk]}
    )
    # then
    assert response.status_code == 200
    assert b"1001" in response.content
    assert b'name="post" value="yes"' in response.content
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_cancel_action_cancels_a_placed_order_and_refuses_a_completed_one(superuser_client):
    # given
    placed = make_order(number="1001")
    completed = make_order(number="1002", status=Order.Status.COMPLETED)
    # when
    response = superuser_client.post(
        admin_url(Order, "changelist"),
        {
            "action": "cancel_orders",
            ACTION_CHECKBOX_NAME: [placed.pk, completed.pk],
            "post": "yes",
            "reason": "Customer called",
        },
        follow=True,
    )
    # then
    placed.refresh_from_db()
    completed.refresh_from_db()
    assert placed.status == Order.Status.CANCELLED
    assert placed.events.filter(kind=OrderEvent.Kind.STATUS, new_value="cancelled", message="Customer called").exists()
    assert completed.status == Order.Status.COMPLETED
    assert not completed.events.exists()
    sent = [(m.level, str(m)) for m in response.context["messages"]]
    warnings = [text for level, text in sent if level == messages.WARNING]
    successes = [text for level, text in sent if level == messages.SUCCESS]
    assert len(warnings) == 1
    assert "1002" in warnings[0]
    assert len(successes) == 1
    assert "1001" in successes[0]


def test_cancel_action_refusing_every_order_reports_no_success(superuser_client):
    # given
    completed = make_order(number="1002", status=Order.Status.COMPLETED)
    # when
    response = superuser_client.post(
        admin_url(Order, "changelist"),
        {"action": "cancel_orders", ACTION_CHECKBOX_NAME: [completed.pk], "post": "yes", "reason": ""},
        follow=True,
    )
    # then
    completed.refresh_from_db()
    assert completed.status == Order.Status.COMPLETED
    assert [m.level for m in response.context["messages"]] == [messages.WARNING]


def test_start_processing_action_moves_a_placed_order(superuser_client):
    # given
    order = make_order(number="1001")
    # when
    superuser_client.post(
        admin_url(Order, "changelist"), {"action": "start_processing_orders", ACTION_CHECKBOX_NAME: [order.pk]}
    )
    # then
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING


def test_order_actions_need_change_permission(client):
    # given
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    make_order(number="1001")
    # when
    response = client.get(admin_url(Order, "changelist"))
    # then
    assert response.status_code == 200
    assert "cancel_orders" not in _action_names(response)


def test_order_actions_are_offered_to_those_who_may_change_orders(superuser_client):
    # given
    make_order(number="1001")
    # when
    response = superuser_client.get(admin_url(Order, "changelist"))
    # then
    assert {"cancel_orders", "start_processing_orders", "complete_orders"} <= _action_names(response)
    assert "delete_selected" not in _action_names(response)


def test_stock_ledger_shows_signed_quantities(superuser_client):
    # given
    add_rows(1)
    line = OrderLine.objects.get()
    StockMovement.objects.create(
        variant=line.variant,
        location=LocationFactory(),
        kind=StockMovement.Kind.SALE,
        quantity=-3,
        order_line=line,
        created_at=timezone.now(),
    )
    # when
    response = superuser_client.get(admin_url(StockMovement, "changelist"))
    # then
    content = response.content.decode()
    assert '<td class="field-signed_quantity">+10</td>' in content
    assert '<td class="field-signed_quantity">-3</td>' in content


@pytest.mark.parametrize(
    ("status", "lines_editable"), [(Shipment.Status.PENDING, True), (Shipment.Status.SHIPPED, False)]
)
def test_shipment_lines_are_fixed_once_the_shipment_has_left_pending(superuser_client, status, lines_editable):
    # given
    add_rows(1)
    shipment = Shipment.objects.get()
    Shipment.objects.filter(pk=shipment.pk).update(status=status)
    # when
    response = superuser_client.get(admin_url(Shipment, "change", shipment.pk))
    # then
    lines = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is ShipmentLine)
    assert lines.has_add_permission is lines_editable
    assert lines.has_change_permission is lines_editable
    assert "order" not in response.context["adminform"].form.fields


def test_an_orders_channel_is_chosen_once(superuser_client):
    # given
    order = make_order(number="1001")
    # when
    add = superuser_client.get(admin_url(Order, "add"))
    change = superuser_client.get(admin_url(Order, "change", order.pk))
    # then
    assert "channel" in add.context["adminform"].form.fields
    assert "channel" not in change.context["adminform"].form.fields
