from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import StoreSettings
from inventory.models import StockLevel
from orders.models import Customer, Order
from shipping.models import ShippingMethod
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/orders/new/"


@pytest.fixture
def shop():
    channel = ChannelFactory(code="phone", name="Phone")
    shirt = stocked_variant(channel=channel, on_hand=5, price=Decimal("20.00"))
    mug = stocked_variant(channel=channel, on_hand=3, price=Decimal("8.50"))
    method = ShippingMethod.objects.create(code="dhl", name="DHL Parcel", price_amount=Decimal("4.90"))
    return {"channel": channel, "shirt": shirt, "mug": mug, "method": method}


@pytest.fixture
def staff(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    return user


def _token(client) -> str:
    return client.get(URL).context["token"]


def _form(shop, token, **overrides) -> dict:
    data = {
        "token": token,
        "channel": shop["channel"].pk,
        "delivery": "ship",
        "shipping_method": shop["method"].pk,
        "name": "Grace Hopper",
        "line1": "Am Markt 2",
        "postal_code": "20095",
        "city": "Hamburg",
        "country": "DE",
        "new_first_name": "Grace",
        "new_last_name": "Hopper",
        "new_email": "grace@example.com",
        "new_phone": "+49 40 123",
        "discount_percent": "0",
        "line_sku": [shop["shirt"].sku, shop["mug"].sku],
        "line_quantity": ["2", "1"],
        "action": "place",
    }
    data.update(overrides)
    return data


def test_the_page_opens_with_the_phone_channel_and_a_token(client, staff, shop):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["form"].initial["channel"] == shop["channel"]
    assert response.context["token"]


def test_phone_order_with_a_new_customer_and_two_lines_is_placed(client, staff, shop):
    # given
    token = _token(client)
    # when
    response = client.post(URL, _form(shop, token))
    # then
    order = Order.objects.get(status=Order.Status.PLACED)
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order-detail", kwargs={"number": order.number})
    # 2 × 20.00 + 8.50 = 48.50 net, shipping 4.90, VAT 19 % of 53.40 = 10.15
    assert order.subtotal_amount == Decimal("48.50")
    assert order.shipping_amount == Decimal("4.90")
    assert order.total_amount == Decimal("63.55")
    assert order.customer == Customer.objects.get(email="grace@example.com")
    assert order.customer.addresses.get().city == "Hamburg"
    assert order.shipping_address["line1"] == "Am Markt 2"
    assert order.created_by == staff
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 2
    assert StockLevel.objects.get(variant=shop["mug"]).reserved == 1


def test_a_double_submit_places_one_order(client, staff, shop):
    # given
    token = _token(client)
    data = _form(shop, token)
    # when the same form is posted twice
    first = client.post(URL, data)
    second = client.post(URL, data)
    # then
    assert Order.objects.filter(status=Order.Status.PLACED).count() == 1
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == reverse("orders:order-detail", kwargs={"number": order.number})
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 2


def test_short_stock_is_refused_with_the_sku_and_nothing_changes(client, staff, shop):
    # given
    token = _token(client)
    # when
    response = client.post(URL, _form(shop, token, line_quantity=["9", "1"]))
    # then
    assert response.status_code == 409
    assert shop["shirt"].sku in response.content.decode()
    assert not Order.objects.exists()
    assert not Customer.objects.filter(email="grace@example.com").exists()
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 0
    # and the token still works once the quantity is fixed
    again = client.post(URL, _form(shop, token))
    assert again.status_code == 302
    assert Order.objects.count() == 1


def test_staff_discount_above_the_limit_is_refused(client, staff, shop):
    # given
    settings_row = StoreSettings.load()
    settings_row.staff_discount_limit_percent = Decimal("10")
    settings_row.save()
    token = _token(client)
    # when
    response = client.post(URL, _form(shop, token, discount_percent="25"))
    # then
    assert response.status_code == 400
    assert "at most 10" in response.content.decode()
    assert not Order.objects.exists()


def test_the_owner_may_give_any_discount(client, shop):
    # given
    client.force_login(UserFactory(role="Owner"))
    token = _token(client)
    # when
    client.post(URL, _form(shop, token, discount_percent="25"))
    # then
    order = Order.objects.get()
    assert order.discount_amount == Decimal("12.13")  # 25 % of 48.50 = 12.125 → 12.13


def test_without_javascript_add_line_by_sku_then_update_totals(client, staff, shop):
    # given a page with nothing on it
    token = _token(client)
    base = {"token": token, "channel": shop["channel"].pk, "delivery": "ship"}
    # when a scanner types the SKU and Enter (the form's first button: add)
    added = client.post(URL, {**base, "add_code": shop["shirt"].sku, "add_quantity": "2", "action": "add_line"})
    # then the line is there with its price and the running total
    assert added.status_code == 200
    state = added.context["state"]
    assert state.lines == [(shop["shirt"].sku, 2)]
    assert state.totals["subtotal_amount"] == Decimal("40.00")
    assert state.totals["total_amount"] == Decimal("47.60")
    # when the quantity is changed and the totals updated
    updated = client.post(URL, {**base, "line_sku": [shop["shirt"].sku], "line_quantity": ["3"], "action": "update"})
    assert updated.context["state"].totals["subtotal_amount"] == Decimal("60.00")
    assert not Order.objects.exists()


def test_without_javascript_search_products_by_name_and_pick_a_customer(client, staff, shop):
    # given
    customer = CustomerFactory(first_name="Linus", last_name="Torvalds")
    token = _token(client)
    base = {"token": token, "channel": shop["channel"].pk, "delivery": "ship"}
    # when a name (not a code) is typed and the add button pressed
    found = client.post(URL, {**base, "add_code": shop["mug"].product.name, "action": "add_line"})
    # then the matches are listed with their availability, nothing added yet
    assert [h.variant for h in found.context["state"].product_hits] == [shop["mug"]]
    assert found.context["state"].product_hits[0].available == 3
    # when the customer is searched and chosen
    searched = client.post(URL, {**base, "customer_query": "torvalds", "action": "search_customer"})
    assert list(searched.context["state"].customer_hits) == [customer]
    picked = client.post(URL, {**base, "pick_customer": customer.pk})
    assert picked.context["state"].customer == customer


def test_htmx_search_endpoints_return_small_partials(client, staff, shop):
    CustomerFactory(first_name="Ada", last_name="Lovelace", company_name="Engines Ltd")
    customers = client.get(reverse("orders:entry-customers"), {"customer_query": "engines"}, HTTP_HX_REQUEST="true")
    products = client.get(
        reverse("orders:entry-products"),
        {"add_code": shop["shirt"].sku, "channel": shop["channel"].pk},
        HTTP_HX_REQUEST="true",
    )
    assert "Engines Ltd" in customers.content.decode()
    assert "<html" not in customers.content.decode()
    assert shop["shirt"].sku in products.content.decode()
    assert "Warehouse: 5" in products.content.decode()


def test_htmx_totals_partial_recomputes(client, staff, shop):
    response = client.post(
        reverse("orders:entry-totals"),
        {"channel": shop["channel"].pk, "delivery": "pickup", "line_sku": [shop["mug"].sku], "line_quantity": ["2"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.context["state"].totals["total_amount"] == Decimal("20.23")  # 17.00 + 3.23 VAT


def test_a_draft_is_saved_without_stock_and_resumed_then_placed(client, staff, shop):
    # given
    customer = CustomerFactory()
    token = _token(client)
    data = _form(
        shop,
        token,
        action="save_draft",
        customer=customer.pk,
        new_first_name="",
        new_last_name="",
        new_email="",
        new_phone="",
    )
    # when
    saved = client.post(URL, data)
    # then
    draft = Order.objects.get()
    assert draft.status == Order.Status.DRAFT
    assert saved["Location"] == reverse("orders:order-draft", kwargs={"draft_id": draft.pk})
    assert draft.lines.count() == 2
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 0
    # when resumed
    resumed = client.get(saved["Location"])
    assert resumed.context["state"].lines == [(shop["shirt"].sku, 2), (shop["mug"].sku, 1)]
    assert resumed.context["state"].customer == customer
    # and placed from the resumed page
    placed = client.post(saved["Location"], {**data, "token": resumed.context["token"], "action": "place"})
    # then
    draft.refresh_from_db()
    assert placed.status_code == 302
    assert draft.status == Order.Status.PLACED
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 2


def test_placing_needs_a_shipping_method_and_address_when_shipped(client, staff, shop):
    token = _token(client)
    response = client.post(URL, _form(shop, token, shipping_method="", line1=""))
    assert response.status_code == 400
    assert "Choose how the order is shipped." in response.content.decode()
    assert not Order.objects.exists()


def test_warehouse_cannot_take_orders(client, shop):
    client.force_login(UserFactory(role="Warehouse"))
    assert client.get(URL).status_code == 403


def test_a_counter_sale_is_paid_in_cash_handed_over_and_completed(client, staff):
    # given an in-person channel served by the shop
    from inventory.models import Location
    from tests.inventory.factories import LocationFactory

    counter = ChannelFactory(code="in_person", name="Shop counter")
    shop_location = LocationFactory(code="shop", kind=Location.Kind.STORE, is_pickup_point=True)
    mug = stocked_variant(channel=counter, location=shop_location, on_hand=3, price=Decimal("10.00"))
    token = _token(client)
    # when: one mug, 20.00 in cash handed over
    response = client.post(
        URL,
        {
            "token": token,
            "channel": counter.pk,
            "delivery": "counter",
            "payment_method": "cash",
            "cash_tendered": "20.00",
            "line_sku": [mug.sku],
            "line_quantity": ["1"],
            "action": "place",
        },
        follow=True,
    )
    # then: 10.00 + 1.90 VAT paid, 8.10 change, the mug left the shelf, the order is done
    order = Order.objects.get()
    assert order.status == Order.Status.COMPLETED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.payments.get().change_amount == Decimal("8.10")
    level = StockLevel.objects.get(variant=mug)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert "Change due: €8.10" in response.content.decode()


def test_a_refused_counter_payment_leaves_nothing_behind(client, staff):
    from inventory.models import Location
    from tests.inventory.factories import LocationFactory

    counter = ChannelFactory(code="in_person", name="Shop counter")
    shop_location = LocationFactory(code="shop", kind=Location.Kind.STORE)
    mug = stocked_variant(channel=counter, location=shop_location, on_hand=3, price=Decimal("10.00"))
    token = _token(client)
    response = client.post(
        URL,
        {
            "token": token,
            "channel": counter.pk,
            "delivery": "counter",
            "payment_method": "cash",
            "cash_tendered": "5.00",
            "line_sku": [mug.sku],
            "line_quantity": ["1"],
            "action": "place",
        },
    )
    assert response.status_code == 400
    assert "less than the amount paid" in response.content.decode()
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=mug).reserved == 0


def test_open_drafts_are_listed_to_resume(client, staff, shop):
    # given
    from orders.services import LineInput, OrderEntry, save_draft_order

    draft = save_draft_order(
        entry=OrderEntry(channel=shop["channel"], lines=[LineInput(variant=shop["mug"], quantity=1)])
    )
    # when
    response = client.get(URL)
    # then
    assert reverse("orders:order-draft", kwargs={"draft_id": draft.pk}) in response.content.decode()


def test_a_racing_second_post_that_still_sees_the_token_places_nothing(client, staff, shop):
    # given a first post that placed the order
    token = _token(client)
    data = _form(shop, token)
    client.post(URL, data)
    # when a second request raced it and still found the token in its copy of the session
    session = client.session
    session["order_entry_tokens"] = [*session.get("order_entry_tokens", []), token]
    session.pop("order_entry_placed", None)
    session.save()
    response = client.post(URL, data)
    # then: sent to the order the first post placed (the cache knows its number)
    order = Order.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/orders/{order.number}/")
    assert StockLevel.objects.get(variant=shop["shirt"]).reserved == 2


def test_product_search_with_a_channel_that_is_not_a_number_uses_the_default_channel(client, staff, shop):
    response = client.get(reverse("orders:entry-products"), {"add_code": shop["shirt"].sku, "channel": "abc"})
    assert response.status_code == 200
    assert shop["shirt"].sku in response.content.decode()
