"""Journey 8, "A return", end to end through the back-office pages.

Ada's order (a lamp and two mugs, shipped, paid by card) was delivered on the 5th; the lamp
arrives back broken. A Staff member records the return from the order page (the lamp,
damaged), books the parcel in (the lamp goes to the damaged-goods location, not the shelf),
and refunds what the lamp cost through the two-step refund form. The credit note is issued
and e-mailed as a valid Factur-X PDF. At the start of the next month the Owner opens the
accounting export for March: the CSV lists the invoice, the payment, the refund and the
credit note, and its columns add up to the totals on the export page.

The world before the return (order, payment, delivery) is set up with the services; every
step of the journey itself is a page, posted with the page's own form (``browser_forms``).
"""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services import record_payment
from config.roles import OWNER, STAFF
from inventory.models import Location, StockLevel, StockMovement
from orders.models import Order, OrderEvent, PaymentStatus
from orders.services import LineInput, place_order
from shipping.models import Return, ReturnStatus
from shipping.services import create_shipment, mark_shipped, record_tracking_event
from tests.billing.factories import store_with_legal_details
from tests.billing.facturx_checks import assert_valid_facturx_pdf
from tests.catalog.factories import ChannelFactory, ProductFactory
from tests.integration.browser_forms import page_errors, page_form
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import CustomerFactory, UserFactory
from tests.shipping.factories import ShippingMethodFactory

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = [timezone.make_aware(datetime.datetime(2026, 3, day, hour)) for day, hour in ((3, 10), (5, 14), (12, 11))]
PLACED, DELIVERED, RETURNED = MARCH
NEXT_MONTH = timezone.make_aware(datetime.datetime(2026, 4, 1, 9))
# lamp 49.00 + 2 × mug 12.50 + parcel 4.90 = 78.90 net, VAT 19 % 14.99, total 93.89
TOTAL = D("93.89")
LAMP_GROSS = D("58.31")  # 49.00 + 19 %: what the return is worth, and what is refunded


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Ada's order, paid by card on the 3rd (invoice issued and e-mailed), delivered on the 5th."""
    store_with_legal_details(name="Linen & Co")
    channel = ChannelFactory(code="web", name="Web shop")
    warehouse = LocationFactory(code="warehouse", name="Warehouse")
    damaged = LocationFactory(code="damaged", name="Damaged goods", kind=Location.Kind.DAMAGED)
    lamp = stocked_variant(
        channel=channel, location=warehouse, on_hand=5, price=D("49.00"), sku="LAMP-OAK",
        product=ProductFactory(name="Oak table lamp"), name="",
    )  # fmt: skip
    mug = stocked_variant(
        channel=channel, location=warehouse, on_hand=20, price=D("12.50"), sku="MUG-BLUE",
        product=ProductFactory(name="Stoneware mug"), name="",
    )  # fmt: skip
    ada = CustomerFactory(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    address = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin"}
    with time_machine.travel(PLACED, tick=False), django_capture_on_commit_callbacks(execute=True):
        order = place_order(
            channel=channel,
            customer=ada,
            email=ada.email,
            customer_name="Ada Lovelace",
            lines=[LineInput(variant=lamp, quantity=1), LineInput(variant=mug, quantity=2)],
            shipping_address=address,
            billing_address=address,
            shipping_method=ShippingMethodFactory(code="parcel", name="Parcel"),
            shipping_amount=D("4.90"),
        )
        assert order.total_amount == TOTAL
        record_payment(order=order, method="card", amount=TOTAL, currency="EUR", reference="T-4711", by=None)
        shipment = create_shipment(
            order=order, location=warehouse, lines=[(line, line.quantity) for line in order.lines.all()]
        )
        shipment = mark_shipped(shipment=shipment, carrier="DHL", tracking_number="00340434161094000001")
    with time_machine.travel(DELIVERED, tick=False):
        record_tracking_event(shipment=shipment, status="delivered", occurred_at=DELIVERED)
    order.refresh_from_db()
    assert order.fulfilment_status == "delivered" and order.payment_status == PaymentStatus.PAID
    return {"order": order, "lamp": lamp, "mug": mug, "warehouse": warehouse, "damaged": damaged}


def _signed_in(role: str, username: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=username, role=role))
    return client


def _level(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return (level.on_hand, level.reserved) if level else (0, 0)


def test_a_damaged_item_comes_back_is_refunded_credited_and_exported(delivered, django_capture_on_commit_callbacks):
    order, lamp, mug = delivered["order"], delivered["lamp"], delivered["mug"]
    warehouse, damaged = delivered["warehouse"], delivered["damaged"]
    (invoice,) = order.invoices.all()
    assert invoice.emailed_at is not None  # e-mailed when the card payment came in
    mail.outbox.clear()
    shelf = {v.sku: _level(v, warehouse) for v in (lamp, mug)}
    lamp_line = order.lines.get(sku="LAMP-OAK")

    with time_machine.travel(RETURNED, tick=False):
        staff = _signed_in(STAFF, "sam")
        # -- from the order page, "Record a return": the lamp, damaged
        page = staff.get(f"/orders/{order.number}/").content.decode()
        return_url = re.search(r'href="([^"]+/returns/new/)">Record a return<', page).group(1)
        form_page = staff.get(return_url)
        assert form_page.status_code == 200
        form = page_form(form_page, has="reason")
        assert {name for name in form.controls if name.startswith("qty_")} == {
            f"qty_{line.pk}" for line in order.lines.all()
        }  # both lines were delivered: both may come back
        form[f"qty_{lamp_line.pk}"] = 1
        form[f"cond_{lamp_line.pk}"] = "damaged"
        form["reason"] = "damaged"
        form["note"] = "Shade cracked, box crushed"
        response = form.submit(staff)
        assert response.status_code == 302, page_errors(response)
        return_request = Return.objects.get()
        assert response["Location"] == f"/shipping/returns/{return_request.pk}/"
        assert [(rl.order_line_id, rl.quantity, rl.condition) for rl in return_request.lines.all()] == [
            (lamp_line.pk, 1, "damaged")
        ]

        # -- the parcel arrives: booked in, the lamp goes to the damaged-goods location
        detail = staff.get(response["Location"])
        assert "Start a refund (€58.31)" in detail.content.decode()
        form = page_form(detail, has="damaged_location")
        assert form.choices["damaged_location"] == ["", str(damaged.pk)]
        form["location"] = warehouse.pk
        form["damaged_location"] = damaged.pk
        response = form.submit(staff)
        assert response.status_code == 302, page_errors(response)
        return_request.refresh_from_db()
        assert return_request.status == ReturnStatus.RECEIVED
        assert _level(lamp, damaged) == (1, 0)
        assert _level(lamp, warehouse) == shelf["LAMP-OAK"]  # not back on the shelf: it is broken
        assert _level(mug, warehouse) == shelf["MUG-BLUE"]
        (back,) = StockMovement.objects.filter(kind=StockMovement.Kind.RETURN)
        assert (back.variant, back.location, back.quantity, back.order_line) == (lamp, damaged, 1, lamp_line)

        # -- the refund: the return's page proposes the lamp's price and why; reviewed, then confirmed
        detail = staff.get(response["Location"]).content.decode()
        refund_url = re.search(r'href="([^"]+/refunds/new/[^"]*)"[^>]*>Start a refund', detail).group(1)
        refund_page = staff.get(refund_url.replace("&amp;", "&"))
        assert "Up to €93.89 can be refunded." in refund_page.content.decode()
        form = page_form(refund_page, has="amount")
        assert form["amount"] == str(LAMP_GROSS)  # the return's value, not all that was paid
        assert form["reason"] == f"Return {return_request.pk}: Arrived damaged"
        form["reason"] += " (shade cracked)"
        review = form.submit(staff)
        assert review.status_code == 200 and "Refund €58.31 on order" in review.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = page_form(review, has="amount").submit(staff, ("confirm", "1"))
        assert response.status_code == 302, page_errors(response)
        assert response["Location"] == f"/orders/{order.number}/"

    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    refund = order.payments.get(kind="refund")
    assert (refund.amount, refund.method, refund.recorded_by.username) == (LAMP_GROSS, "card", "sam")
    assert order.events.filter(kind=OrderEvent.Kind.INVOICE_ISSUED).count() == 2

    # -- the credit note: issued against the invoice, e-mailed as a Factur-X PDF
    credit = order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert credit.corrects == invoice
    assert credit.snapshot["reason"] == f"Return {Return.objects.get().pk}: Arrived damaged (shade cracked)"
    assert (credit.net_amount, credit.tax_amount, credit.total_amount) == (D("49.00"), D("9.31"), LAMP_GROSS)
    assert credit.emailed_at is not None
    (message,) = [m for m in mail.outbox if credit.number in m.subject]
    assert message.to == ["ada@example.com"]
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{credit.number}.pdf", "application/pdf")
    xml = assert_valid_facturx_pdf(content, number=credit.number).decode()
    assert "<ram:TypeCode>381</ram:TypeCode>" in xml  # a credit note
    assert invoice.number in xml  # naming the invoice it corrects
    assert "<ram:GrandTotalAmount>58.31</ram:GrandTotalAmount>" in xml

    # -- the first of April: the Owner exports March
    with time_machine.travel(NEXT_MONTH, tick=False):
        owner = _signed_in(OWNER, "olga")
        export = owner.get("/billing/export/")
        assert export.status_code == 200
        query = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
        summary = owner.get("/billing/export/", query)
        assert summary.status_code == 200
        csv_url = re.search(r'href="(\?[^"]*format=csv[^"]*)"', summary.content.decode()).group(1)
        download = owner.get("/billing/export/" + csv_url.replace("&amp;", "&"))
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert 'filename="journal-2026-03-01-2026-03-31.csv"' in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    payment = Payment.objects.get(order=order, kind="payment")
    assert sorted((r["Type"], r["Number"], r["Gross"]) for r in rows) == sorted(
        [
            ("invoice", invoice.number, "93.89"),
            ("payment", payment.reference, "93.89"),
            ("refund", f"P{refund.pk}", "-58.31"),
            ("credit_note", credit.number, "-58.31"),
        ]
    )
    assert {r["Order"] for r in rows} == {order.number}
    assert {r["Date"] for r in rows} == {"2026-03-03", "2026-03-12"}

    # -- the CSV's columns add up to the totals the page shows
    def column(name, kinds) -> Decimal:
        return sum((D(r[name]) for r in rows if r["Type"] in kinds and r[name]), D("0"))

    journal = summary.context["journal"]
    documents = ("invoice", "credit_note")
    assert column("Net", documents) == journal.invoiced["net"] == D("29.90")
    assert column("VAT", documents) == journal.invoiced["tax"] == D("5.68")
    assert column("Gross", documents) == journal.invoiced["gross"] == D("35.58")
    assert column("Net 19 %", documents) == journal.invoiced["net_by_rate"][0] == D("29.90")
    assert column("Gross", ("payment", "refund")) == journal.received == D("35.58")
    for kind, bucket in journal.totals.items():
        assert column("Gross", (kind,)) == bucket["gross"], kind
        assert len([r for r in rows if r["Type"] == kind]) == bucket["count"] == 1
    page = summary.content.decode()
    for testid, amount in (
        ("invoiced-net", "29.90"),
        ("invoiced-tax", "5.68"),
        ("invoiced-gross", "35.58"),
        ("received", "35.58"),
    ):
        assert re.search(rf'data-testid="{testid}">[^<]*{re.escape(amount)}<', page), testid
    assert Order.objects.count() == 1
