"""Journey 3, "A sale at the counter", end to end through the new-order page.

A Staff member at the shop opens New order, switches to the in-person channel, scans three
items, ticks "Taken now", types the cash the walk-in customer hands over and places the
sale. The change is computed, the receipt prints (the PDF read back), the three items leave
the shop's shelf at once (levels and ledger; the warehouse is untouched), the order is
complete, and the invoice PDF is e-mailed when the customer gave an address and not when
they did not. Every post is the page's own form (``browser_forms``) as the clerk fills it.
"""

import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from billing.models import Invoice
from catalog.models import Channel
from config.roles import STAFF
from inventory.models import Location, StockLevel, StockMovement
from inventory.services import receive_stock
from orders.models import FulfilmentStatus, Order, OrderStatus, PaymentStatus
from tests.billing.factories import store_with_legal_details
from tests.billing.facturx_checks import assert_valid_facturx_pdf
from tests.catalog.factories import ChannelFactory, ProductFactory
from tests.integration.browser_forms import PageForm, page_errors, page_form
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_ORDER = "/orders/new/"
FORM = "order-entry-form"
# 12.50 + 4.20 + 8.00 = 24.70 net, 19 % VAT 4.69, total 29.39; 50.00 in cash: 20.61 back
TOTAL, TENDERED, CHANGE = Decimal("29.39"), Decimal("50.00"), Decimal("20.61")


@pytest.fixture
def shop():
    store_with_legal_details(name="Linen & Co")
    phone = ChannelFactory(code="phone", name="Phone")  # what the page opens with
    counter = ChannelFactory(code="in_person", name="Shop counter", kind=Channel.Kind.IN_PERSON)
    shelf = LocationFactory(code="shop", name="Main Street shop", kind=Location.Kind.STORE, is_pickup_point=True)
    warehouse = LocationFactory(code="warehouse", name="Warehouse")
    warehouse.channels.add(phone)
    items = [
        stocked_variant(
            channel=counter,
            location=shelf,
            on_hand=on_hand,
            price=price,
            sku=sku,
            product=ProductFactory(name=name),
            name="",
        )
        for sku, name, price, on_hand in (
            ("MUG-BLUE", "Stoneware mug", Decimal("12.50"), 4),
            ("TEA-EARL", "Earl Grey tea", Decimal("4.20"), 10),
            ("TOTE-NAT", "Canvas tote", Decimal("8.00"), 2),
        )
    ]
    for item in items:  # the same items in the warehouse, for the phone: the counter must not touch them
        receive_stock(variant=item, location=warehouse, quantity=20)
    clerk = Client()
    clerk.force_login(UserFactory(username="sam", role=STAFF))
    return {"counter": counter, "shelf": shelf, "warehouse": warehouse, "items": items, "clerk": clerk}


def _ring_up(shop, **customer) -> PageForm:
    """The clerk's steps on the page up to "Place order"; returns the page's form, filled."""
    clerk = shop["clerk"]
    page = clerk.get(NEW_ORDER)
    assert page.status_code == 200
    form = page_form(page, form_id=FORM)
    assert form["channel"] == str(Channel.objects.get(code="phone").pk)  # the phone channel by default
    form["channel"] = shop["counter"].pk
    form["delivery"] = "counter"
    for item in shop["items"]:  # scanned: the scanner types the code and presses Enter (the first button)
        form["add_code"] = item.sku
        page = form.submit(clerk, ("action", "add_line"))
        assert page.status_code == 200, page_errors(page)
        form = page_form(page, form_id=FORM)
    assert form.getlist("line_sku") == [item.sku for item in shop["items"]]
    assert form.getlist("line_quantity") == ["1", "1", "1"]
    html = page.content.decode()
    assert "Main Street shop: 4" in html  # availability, per location, as the clerk sees it
    assert "€29.39" in html  # the running total
    for name, value in customer.items():
        form[name] = value
    form["payment_method"] = "cash"
    form["cash_tendered"] = str(TENDERED)
    return form


def _levels(location) -> list[tuple[int, int]]:
    return [(lv.on_hand, lv.reserved) for lv in StockLevel.objects.filter(location=location).order_by("variant__sku")]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_walk_in_pays_cash_takes_three_items_and_gets_a_receipt(shop, django_capture_on_commit_callbacks):
    clerk = shop["clerk"]
    shelf_before = {lv.variant_id: lv.on_hand for lv in StockLevel.objects.filter(location=shop["shelf"])}
    warehouse_before = _levels(shop["warehouse"])
    form = _ring_up(shop)

    # -- Place order: paid, handed over, completed in one go; the change is on screen
    with django_capture_on_commit_callbacks(execute=True):
        response = form.submit(clerk, ("action", "place"))
    assert response.status_code == 302, page_errors(response)
    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.number}/"
    detail = clerk.get(response["Location"])
    page = detail.content.decode()
    assert f"Sale {order.number} done: €29.39 paid, goods handed over. Change due: €20.61." in page
    assert "Walk-in customer" in page

    assert order.channel == shop["counter"] and order.channel.kind == Channel.Kind.IN_PERSON
    assert order.customer is None and order.email == ""
    assert order.status == OrderStatus.COMPLETED and order.completed_at is not None
    assert order.payment_status == PaymentStatus.PAID
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED  # handed over across the counter
    assert order.total_amount == TOTAL
    (payment,) = order.payments.all()
    assert (payment.method, payment.amount, payment.tendered_amount, payment.change_amount) == (
        "cash",
        TOTAL,
        TENDERED,
        CHANGE,
    )
    assert payment.recorded_by.username == "sam"

    # -- the stock left the shop's shelf at once: on hand down, nothing left reserved, one sale per line
    for item in shop["items"]:
        level = StockLevel.objects.get(variant=item, location=shop["shelf"])
        assert (level.on_hand, level.reserved) == (shelf_before[item.pk] - 1, 0)
        (sale,) = StockMovement.objects.filter(variant=item, kind=StockMovement.Kind.SALE)
        assert (sale.location, sale.quantity, sale.order_line.order) == (shop["shelf"], -1, order)
    assert _levels(shop["warehouse"]) == warehouse_before
    card = clerk.get(f"/stock/variants/{shop['items'][0].sku}/")
    assert card.status_code == 200
    assert [(lv.location.code, lv.on_hand) for lv in card.context["levels"]] == [("shop", 3), ("warehouse", 20)]
    assert card.context["ledger"][0].kind == StockMovement.Kind.SALE  # newest first on the stock card

    # -- the receipt prints from the order page: the items, the total, the cash and the change
    receipt_url = re.search(r'href="([^"]+/receipt/)"[^>]*>Print receipt<', page).group(1)
    receipt = clerk.get(receipt_url)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    text = _pdf_text(b"".join(receipt.streaming_content))
    for name in ("Stoneware mug", "Earl Grey tea", "Canvas tote"):
        assert name in text
    assert re.search(r"Total\s*€29\.39", text), text
    assert re.search(r"Cash\s*€50\.00", text), text
    assert re.search(r"Change\s*€20\.61", text), text
    assert order.number in text

    # -- the invoice exists (a receipt's number is the invoice's) but nobody gave an address: no e-mail
    (invoice,) = order.invoices.all()
    assert invoice.kind == Invoice.Kind.INVOICE and invoice.total_amount == TOTAL
    assert invoice.number in text
    assert invoice.emailed_at is None and invoice.email_queued_at is None
    assert mail.outbox == []


def test_a_walk_in_who_gives_an_email_gets_the_invoice_pdf(shop, django_capture_on_commit_callbacks):
    clerk = shop["clerk"]
    form = _ring_up(shop, new_first_name="Grace", new_last_name="Hopper", new_email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = form.submit(clerk, ("action", "place"))
    assert response.status_code == 302, page_errors(response)
    order = Order.objects.get()
    assert order.status == OrderStatus.COMPLETED and order.email == "grace@example.com"
    (invoice,) = order.invoices.all()
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None and invoice.email_state == "sent"
    (message,) = [m for m in mail.outbox if invoice.number in m.subject]
    assert message.to == ["grace@example.com"]
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert_valid_facturx_pdf(content, number=invoice.number)
    text = _pdf_text(content)
    assert "Grace Hopper" in text and "€29.39" in text
    for name in ("Stoneware mug", "Earl Grey tea", "Canvas tote"):
        assert name in text
    # e-mailed once: the beat task that re-sends lost e-mails finds nothing to do
    from billing.tasks import resend_overdue_invoice_emails

    assert resend_overdue_invoice_emails.delay().get() == 0
    assert len([m for m in mail.outbox if invoice.number in m.subject]) == 1


def test_a_walk_in_who_gives_only_an_email_gets_the_invoice_pdf(shop, django_capture_on_commit_callbacks):
    """Nobody asks a walk-in for their name to e-mail a receipt: the address alone should do."""
    clerk = shop["clerk"]
    form = _ring_up(shop, new_email="walkin@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = form.submit(clerk, ("action", "place"))
    assert response.status_code == 302, page_errors(response)
    order = Order.objects.get()
    assert (order.email, order.customer) == ("walkin@example.com", None)  # no customer record for a walk-in
    (invoice,) = order.invoices.all()
    (message,) = [m for m in mail.outbox if invoice.number in m.subject]
    assert message.to == ["walkin@example.com"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
