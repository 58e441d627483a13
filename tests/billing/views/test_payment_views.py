from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Payment
from orders.models import Order
from tests.billing.factories import placed_order, store_with_legal_details
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role="Staff"))
    return client


def test_take_a_card_payment(staff_client):
    # given
    order = placed_order(prices=[D("10.00")])
    url = reverse("billing:payment-new", args=[order.number])
    # when
    page = staff_client.get(url)
    response = staff_client.post(url, {"method": "card", "amount": "11.90", "reference": "slip 42"})
    # then
    assert page.status_code == 200
    assert page.context["form"].initial["amount"] == D("11.90")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert Payment.objects.get(order=order).reference == "slip 42"


def test_cash_change_is_worked_out_without_javascript_and_nothing_is_saved(staff_client):
    order = placed_order(prices=[D("10.00")])
    url = reverse("billing:payment-new", args=[order.number])
    response = staff_client.post(url, {"method": "cash", "amount": "11.90", "cash_tendered": "20.00", "preview": "1"})
    assert response.status_code == 200
    assert response.context["change_due"] == D("8.10")
    assert not Payment.objects.exists()


def test_cash_change_partial_for_htmx(staff_client):
    order = placed_order(prices=[D("10.00")])
    response = staff_client.post(
        reverse("billing:payment-change", args=[order.number]),
        {"method": "cash", "amount": "11.90", "cash_tendered": "50"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "38.10" in response.content.decode()


def test_overpayment_shows_the_reason_and_changes_nothing(staff_client):
    order = placed_order(prices=[D("10.00")])
    response = staff_client.post(
        reverse("billing:payment-new", args=[order.number]), {"method": "card", "amount": "50.00"}
    )
    assert response.status_code == 200
    assert "more than the open balance" in response.content.decode()
    assert not Payment.objects.exists()


def test_warehouse_cannot_take_payments(client):
    order = placed_order(prices=[D("10.00")])
    client.force_login(UserFactory(role="Warehouse"))
    response = client.post(reverse("billing:payment-new", args=[order.number]), {"method": "card", "amount": "1"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_refund_asks_for_confirmation_first(staff_client):
    # given
    store_with_legal_details()
    order = placed_order(prices=[D("10.00")])
    staff_client.post(reverse("billing:payment-new", args=[order.number]), {"method": "card", "amount": "11.90"})
    url = reverse("billing:refund-new", args=[order.number])
    data = {"amount": "5.00", "reason": "Scratched", "method": ""}
    # when
    confirm_page = staff_client.post(url, data)
    # then
    assert confirm_page.status_code == 200
    assert "Refund now" in confirm_page.content.decode()
    assert not Payment.objects.filter(kind="refund").exists()
    # when confirmed
    done = staff_client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED
    assert order.invoices.filter(kind="credit_note").count() == 1


def test_staff_refund_above_the_limit_is_refused_on_the_form(staff_client):
    order = placed_order(prices=[D("200.00")])
    staff_client.post(reverse("billing:payment-new", args=[order.number]), {"method": "card", "amount": "238.00"})
    response = staff_client.post(
        reverse("billing:refund-new", args=[order.number]),
        {"amount": "150.00", "reason": "Goodwill", "method": "", "confirm": "1"},
    )
    assert response.status_code == 200
    assert "need the Owner" in response.content.decode()
    assert not Payment.objects.filter(kind="refund").exists()


def test_order_panel_lists_payments_and_invoices_and_actions(rf, django_assert_num_queries):
    # given
    from django.template.loader import render_to_string

    from billing.selectors import get_order_for_billing
    from billing.services import record_payment

    store_with_legal_details()
    order = placed_order(prices=[D("10.00")])
    record_payment(order=order, method="card", amount=D("5.00"), currency="EUR", by=None)
    record_payment(order=order, method="cash", amount=D("6.90"), currency="EUR", by=None)
    order = get_order_for_billing(number=order.number)
    request = rf.get("/")
    request.user = UserFactory(role="Staff")
    from django.contrib.auth.context_processors import PermWrapper

    # when
    with django_assert_num_queries(0):
        list(order.payments.all()), list(order.invoices.all())
    html = render_to_string(
        "billing/partials/_order_panel.html", {"order": order, "perms": PermWrapper(request.user), "request": request}
    )
    # then
    assert html.count("Card terminal") == 1 and "Cash" in html
    assert order.invoices.all()[0].number in html
    assert "Refund" in html
    assert "Take payment" not in html  # paid in full
