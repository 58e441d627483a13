"""POST/GET /api/v1/orders/: placing through the same services as the back-office, the contract's fields, errors."""

from decimal import Decimal

import pytest

from inventory.models import Reservation, StockLevel
from orders.models import Customer, Order
from tests.api.conftest import ADDRESS, order_body

pytestmark = pytest.mark.django_db


def test_place_order_answers_201_with_the_contract_and_location(shop, staff_api):
    # when
    response = staff_api.post("/api/v1/orders/", order_body(external_reference="MP-1"), format="json")
    # then
    assert response.status_code == 201, response.json()
    data = response.json()
    order = Order.objects.get(number=data["number"])
    assert response["Location"].endswith(f"/api/v1/orders/{order.number}/")
    assert data["status"] == "placed" and data["payment_status"] == "unpaid"
    assert data["fulfilment_status"] == "unfulfilled"
    assert data["channel"] == "marketplace" and data["currency"] == "EUR"
    assert data["tracking_code"] == order.tracking_code
    assert data["external_reference"] == "MP-1"
    # prices from the price list; money as decimal strings
    assert data["subtotal"] == "45.00"
    assert data["shipping"] == "4.90"
    assert data["discount"] == "0.00"
    assert data["tax"] == "9.48"
    assert data["total"] == "59.38"
    assert data["balance_due"] == "59.38"
    assert data["lines"][0] == {
        "sku": "MUG-RED",
        "name": order.lines.get(sku="MUG-RED").description,
        "quantity": 2,
        "unit_price": "12.50",
        "tax_rate": "19.00",
        "total": "25.00",
        "backordered": 0,
    }
    assert data["shipping_address"]["country"] == "DE" and data["shipping_address"]["region"] == ""
    assert data["payments"] == [] and data["invoices"] == [] and data["shipments"] == []
    assert Reservation.objects.filter(order_line__order=order).count() == 2
    assert order.created_by == staff_api.user
    assert Customer.objects.get(email="ada@example.com").orders.get() == order


def test_existing_customer_is_matched_by_email(shop, staff_api):
    # given
    first = staff_api.post("/api/v1/orders/", order_body(), format="json").json()
    # when
    body = order_body(customer={"email": "ADA@example.com", "name": "Ada L."})
    second = staff_api.post("/api/v1/orders/", body, format="json")
    # then
    assert second.status_code == 201
    assert Customer.objects.count() == 1
    assert (
        Order.objects.get(number=first["number"]).customer_id
        == Order.objects.get(number=second.json()["number"]).customer_id
    )


def test_prices_cannot_come_from_the_request(shop, staff_api):
    body = order_body(lines=[{"sku": "MUG-RED", "quantity": 1, "unit_price": "0.01"}], total="0.01")
    response = staff_api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "total" in fields and "lines.0.unit_price" in fields
    assert not Order.objects.exists()


def test_insufficient_stock_is_409_with_shortages_and_reserves_nothing(shop, staff_api):
    body = order_body(lines=[{"sku": "MUG-RED", "quantity": 1}, {"sku": "TEE-M", "quantity": 5}])
    response = staff_api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["shortages"] == [{"sku": "TEE-M", "requested": 5, "available": 3}]
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert not Customer.objects.exists()
    assert StockLevel.objects.get(variant=shop["mug"]).reserved == 0


def test_duplicate_external_reference_is_409_pointing_at_the_order(shop, staff_api):
    first = staff_api.post("/api/v1/orders/", order_body(external_reference="MP-7"), format="json").json()
    response = staff_api.post("/api/v1/orders/", order_body(external_reference="MP-7"), format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_order"
    assert error["order"] == {"number": first["number"]}
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "nowhere"}, "channel"),
        ({"shipping_method": "teleport"}, "shipping_method"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "MUG-RED", "quantity": "two"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 1.5}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "MUG-RED", "quantity": 10**9}]}, "lines.0.quantity"),
        ({"lines": []}, "lines"),
        ({"lines": "MUG-RED"}, "lines"),
        ({"shipping_address": {**ADDRESS, "country": "XX"}}, "shipping_address.country"),
        ({"shipping_address": {**ADDRESS, "country": "DEU"}}, "shipping_address.country"),
        ({"shipping_address": {"name": "Ada"}}, "shipping_address.line1"),
        ({"shipping_address": None}, "shipping_address"),
        ({"customer": {"email": "not-an-email"}}, "customer.email"),
        ({"customer": {"email": "new@example.com"}}, "customer.name"),
        ({"pickup_location": "moon"}, "pickup_location"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_changes_nothing(shop, staff_api, change, field):
    response = staff_api.post("/api/v1/orders/", order_body(**change), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in error["fields"], error
    assert not Order.objects.exists() and not Reservation.objects.exists()


def test_malformed_json_is_400_in_the_error_shape(shop, staff_api):
    response = staff_api.post("/api/v1/orders/", data='{"channel": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert response.json()["error"]["fields"] == {}


@pytest.mark.parametrize("body", ["[]", "null", "42", '"x"'])
def test_a_body_that_is_not_an_object_is_400(shop, staff_api, body):
    response = staff_api.post("/api/v1/orders/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_other_media_type_is_415_in_the_error_shape(shop, staff_api):
    response = staff_api.post("/api/v1/orders/", data="channel=web", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_order_list_filters_and_cursor_pagination(shop, staff_api):
    numbers = [
        staff_api.post("/api/v1/orders/", order_body(lines=[{"sku": "MUG-RED", "quantity": 1}]), format="json").json()[
            "number"
        ]
        for _ in range(3)
    ]
    page = staff_api.get("/api/v1/orders/?page_size=2").json()
    assert [o["number"] for o in page["results"]] == numbers[::-1][:2]
    rest = staff_api.get(page["next"]).json()
    assert [o["number"] for o in rest["results"]] == [numbers[0]] and rest["next"] is None
    assert len(staff_api.get("/api/v1/orders/?channel=marketplace&status=placed").json()["results"]) == 3
    assert staff_api.get("/api/v1/orders/?payment_status=paid").json()["results"] == []
    assert len(staff_api.get(f"/api/v1/orders/?q={numbers[1]}").json()["results"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("channel=nowhere", "channel"),
        ("status=lost", "status"),
        ("total_min=abc", "total_min"),
        ("backordered=maybe", "backordered"),
    ],
)
def test_bad_list_filters_are_400(shop, staff_api, query, field):
    response = staff_api.get(f"/api/v1/orders/?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_bad_cursor_is_404_in_the_error_shape(shop, staff_api):
    response = staff_api.get("/api/v1/orders/?cursor=garbage")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_order_detail_and_unknown_number(shop, staff_api):
    number = staff_api.post("/api/v1/orders/", order_body(), format="json").json()["number"]
    assert staff_api.get(f"/api/v1/orders/{number}/").json()["number"] == number
    missing = staff_api.get("/api/v1/orders/999999/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert staff_api.get("/api/v1/nothing-here/").json()["error"]["code"] == "not_found"


def test_cancel_releases_stock_and_a_second_cancel_is_409(shop, staff_api):
    number = staff_api.post("/api/v1/orders/", order_body(), format="json").json()["number"]
    response = staff_api.post(f"/api/v1/orders/{number}/cancel/", {"reason": "customer asked"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert not Reservation.objects.exists()
    again = staff_api.post(f"/api/v1/orders/{number}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["message"]


def test_pickup_order_needs_no_address(shop, staff_api):
    from tests.shipping.factories import ShippingMethodFactory

    ShippingMethodFactory(code="pickup", kind="pickup", price_amount=Decimal("0"))
    shop["location"].is_pickup_point = True
    shop["location"].save()
    body = order_body(shipping_method="pickup", pickup_location="warehouse", shipping_address=None)
    response = staff_api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["pickup_location"] == "warehouse" and response.json()["shipping"] == "0.00"


def test_a_discount_code_is_passed_to_placement(shop, staff_api):
    from tests.catalog.factories import DiscountCodeFactory

    DiscountCodeFactory(code="SAVE10")
    body = order_body(discount_code="save10", lines=[{"sku": "MUG-RED", "quantity": 2}])
    response = staff_api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["discount"] == "2.50"


def test_an_unknown_discount_code_is_400_on_its_field(shop, staff_api):
    response = staff_api.post("/api/v1/orders/", order_body(discount_code="NOPE"), format="json")
    assert response.status_code == 400
    assert "discount_code" in response.json()["error"]["fields"]
    assert not Order.objects.exists()
