"""What needs attention: each count, and the link that shows what was counted."""

from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from billing.models import Invoice
from billing.selectors import count_failed_invoice_emails
from orders.models import Order, OrderLine
from orders.selectors import get_attention_items
from shipping.models import Shipment
from shipping.selectors import count_shipment_exceptions
from tests.catalog.factories import ChannelFactory
from tests.inventory.factories import LocationFactory, stocked_variant
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=BERLIN)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _store(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.STORE_CURRENCY = "EUR"


def items(**kwargs) -> dict:
    return {item.key: item for item in get_attention_items(**kwargs)}


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_unpaid_orders_count_from_seven_days_by_the_store_calendar():
    # given
    web = ChannelFactory(code="web")
    OrderFactory(channel=web, placed_at=at(2026, 3, 11, 23, 59))  # 7 days ago: counted
    OrderFactory(channel=web, placed_at=at(2026, 3, 1, 9, 0), status=Order.Status.PROCESSING)  # counted
    OrderFactory(channel=web, placed_at=at(2026, 3, 12, 0, 1))  # 6 days ago
    OrderFactory(channel=web, placed_at=at(2026, 3, 1, 9, 0), payment_status=Order.PaymentStatus.PAID)
    OrderFactory(channel=web, placed_at=at(2026, 3, 1, 9, 0), status=Order.Status.CANCELLED)

    # when
    unpaid = items(now=NOW)["unpaid"]

    # then
    assert unpaid.count == 2
    assert "7 days" in unpaid.text
    params = query(unpaid.url)
    assert params["payment_status"] == ["unpaid"]
    assert params["placed_to"] == ["2026-03-11"]
    assert params["status"] == ["placed", "processing"]


def test_paid_orders_not_shipped_within_the_configured_days(settings):
    # given
    settings.BACKROOM_UNSHIPPED_ATTENTION_DAYS = 3
    web = ChannelFactory(code="web")
    paid = {"status": Order.Status.PROCESSING, "payment_status": Order.PaymentStatus.PAID}
    OrderFactory(channel=web, placed_at=at(2026, 3, 15, 10, 0), **paid)  # 3 days ago
    OrderFactory(channel=web, placed_at=at(2026, 3, 16, 10, 0), **paid)  # 2 days ago: not yet
    OrderFactory(
        channel=web, placed_at=at(2026, 3, 1, 10, 0), fulfilment_status=Order.FulfilmentStatus.FULFILLED, **paid
    )

    # when
    unshipped = items(now=NOW)["unshipped"]

    # then
    assert unshipped.count == 1
    assert "within 3 days" in unshipped.text
    assert query(unshipped.url)["placed_to"] == ["2026-03-15"]
    assert query(unshipped.url)["fulfilment_status"] == ["unfulfilled"]


def test_backordered_lines_count_their_orders_and_lines():
    # given
    web = ChannelFactory(code="web")
    waiting = OrderFactory(channel=web)
    done = OrderFactory(channel=web, status=Order.Status.COMPLETED)
    for order, sku, backordered in ((waiting, "A", 2), (waiting, "B", 1), (waiting, "C", 0), (done, "D", 1)):
        OrderLine.objects.create(
            order=order,
            sku=sku,
            product_name=sku,
            quantity=3,
            quantity_backordered=backordered,
            unit_price_amount=Decimal("1.00"),
            tax_rate=Decimal("19"),
            line_total_amount=Decimal("3.00"),
        )

    # when
    backordered = items(now=NOW)["backordered"]

    # then
    assert backordered.count == 1
    assert "(2 lines)" in backordered.text
    assert query(backordered.url)["backordered"] == ["on"]


def test_low_stock_links_to_the_stock_page_filtered_to_low_levels():
    # given
    channel = ChannelFactory(code="web")
    stocked_variant(channel=channel, on_hand=2)  # threshold 5
    stocked_variant(channel=channel, on_hand=50)

    # when
    low = items()["low_stock"]

    # then
    assert low.count == 1
    assert low.url == "/stock/?low=on"


def test_failed_invoice_emails_and_tracking_exceptions_are_counted():
    # given
    order = OrderFactory(channel=ChannelFactory(code="web"))
    common = {
        "order": order,
        "series": "INV",
        "year": 2026,
        "net_amount": Decimal("10.00"),
        "tax_amount": Decimal("1.90"),
        "total_amount": Decimal("11.90"),
        "issued_at": timezone.now(),
    }
    Invoice.objects.create(sequence_number=1, number="INV-1", email_error="550 mailbox unavailable", **common)
    Invoice.objects.create(
        sequence_number=2, number="INV-2", email_error="timeout", emailed_at=timezone.now(), **common
    )  # went out on a retry
    Invoice.objects.create(sequence_number=3, number="INV-3", **common)
    location = LocationFactory()
    Shipment.objects.create(order=order, location=location, status=Shipment.Status.EXCEPTION)
    Shipment.objects.create(order=order, location=location, status=Shipment.Status.IN_TRANSIT)

    # when
    found = items(
        now=NOW,
        failed_invoice_emails=count_failed_invoice_emails(),
        shipment_exceptions=count_shipment_exceptions(),
    )

    # then
    assert found["invoice_emails"].count == 1
    assert found["invoice_emails"].tone == "danger"
    assert found["tracking_exceptions"].count == 1
    assert found["tracking_exceptions"].url


def test_nothing_waiting_gives_zero_counts_for_every_kind():
    # when
    found = items(now=NOW)

    # then
    assert set(found) == {
        "unpaid",
        "unshipped",
        "review",
        "backordered",
        "low_stock",
        "abandoned_carts",
        "invoice_emails",
        "tracking_exceptions",
    }
    assert all(item.count == 0 for item in found.values())


def test_orders_held_for_review():
    # given
    OrderFactory(channel=ChannelFactory(code="web"), needs_review=True)

    # when
    review = items(now=NOW)["review"]

    # then
    assert review.count == 1
    assert query(review.url)["needs_review"] == ["on"]
