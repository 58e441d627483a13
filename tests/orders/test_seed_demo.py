from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Invoice, Payment
from catalog.models import Channel, Price, Product, Variant
from catalog.money import ZERO, vat_breakdown
from config.roles import OWNER
from inventory.models import Reservation, StockLevel, StockMovement
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus
from shipping.models import Shipment, ShipmentLine, TrackingEvent

pytestmark = pytest.mark.django_db

ORDERS = 200


def _seed(orders: int = ORDERS) -> None:
    call_command("seed_demo", orders=orders, stdout=StringIO())


def _mismatched_levels():
    """Levels whose on hand is not the ledger's sum or whose reserved is not the reservations' sum."""
    ledger = (
        StockMovement.objects.filter(variant=OuterRef("variant"), location=OuterRef("location"))
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    promised = (
        Reservation.objects.filter(stock_level=OuterRef("pk"))
        .values("stock_level")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return StockLevel.objects.annotate(
        ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0)),
        promised=Coalesce(Subquery(promised, output_field=IntegerField()), Value(0)),
    ).exclude(on_hand=F("ledger"), reserved=F("promised"))


def _snapshot() -> dict:
    models = [Channel, Product, Variant, Price, Customer, Order, OrderLine, OrderEvent, Payment, Shipment,
              ShipmentLine, TrackingEvent, StockMovement, Reservation, StockLevel]  # fmt: skip
    counts = {model.__name__: model.objects.count() for model in models}
    levels = list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved"))
    return {"counts": counts, "levels": levels}


def test_seed_demo_builds_a_store_with_every_status_and_channel():
    # given an empty database
    # when
    _seed()

    # then
    assert Channel.objects.count() == 5
    assert set(Channel.objects.values_list("code", flat=True)) == {
        "web",
        "phone",
        "in_person",
        "wholesale",
        "marketplace",
    }
    assert Product.objects.count() >= 40
    assert Variant.objects.count() >= 110
    assert Customer.objects.count() == 60
    assert Order.objects.count() == ORDERS
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert set(Order.objects.values_list("channel__code", flat=True)) == set(Channel.Kind.values)
    assert Channel.objects.get(code="web").products.count() < Product.objects.count()
    assert not Invoice.objects.exists()


def test_seed_demo_totals_add_up_and_states_agree():
    # given
    _seed()

    # when
    orders = Order.objects.annotate(net=Sum("lines__line_total_amount")).values_list(
        "pk", "net", "subtotal_amount", "shipping_amount", "discount_amount", "tax_amount", "total_amount"
    )
    nets_by_order = defaultdict(list)
    for order_id, rate, net in OrderLine.objects.values_list("order_id", "tax_rate", "line_total_amount"):
        nets_by_order[order_id].append((rate, net))

    # then every total is its parts, with VAT per rate on the sum of that rate's nets
    for pk, net, subtotal, shipping, discount, tax, total in orders:
        assert net == subtotal
        assert total == subtotal + shipping - discount + tax
        with_shipping = nets_by_order[pk] + ([(Decimal("19.00"), shipping)] if shipping else [])
        assert tax == sum((vat for _basis, vat in vat_breakdown(with_shipping).values()), ZERO)
    # numbers follow the ids; drafts have none
    for pk, number, status in Order.objects.values_list("pk", "number", "status"):
        assert number == (None if status == OrderStatus.DRAFT else str(settings.ORDER_NUMBER_START + pk))
    # the derived statuses agree with the lifecycle
    completed = Order.objects.filter(status=OrderStatus.COMPLETED)
    assert set(completed.values_list("payment_status", flat=True)) == {"paid"}
    assert set(completed.values_list("fulfilment_status", flat=True)) <= {"fulfilled", "delivered"}
    cancelled = Order.objects.filter(status=OrderStatus.CANCELLED)
    assert set(cancelled.values_list("payment_status", flat=True)) <= {"unpaid", "refunded"}
    assert set(Order.objects.filter(status="processing").values_list("payment_status", flat=True)) == {"paid"}
    closed = [OrderStatus.DRAFT, OrderStatus.CANCELLED, OrderStatus.COMPLETED]
    assert not Reservation.objects.filter(order_line__order__status__in=closed).exists()
    # paid orders received their total
    paid = Order.objects.filter(payment_status="paid").annotate(
        received=Sum("payments__amount"), payments_count=Count("payments")
    )
    for order in paid:
        assert order.received == order.total_amount


def test_seed_demo_stock_ledger_sums_to_levels():
    # given
    _seed()

    # when
    mismatched = _mismatched_levels()

    # then
    assert StockLevel.objects.count() == 2 * Variant.objects.count()
    assert not mismatched.exists()
    assert not StockLevel.objects.filter(reserved__gt=F("on_hand")).exists()
    assert not StockLevel.objects.filter(reserved__lt=0).exists()
    assert StockLevel.objects.filter(on_hand=0).exists()
    assert Reservation.objects.exists()
    assert OrderLine.objects.filter(quantity_backordered__gt=0).exists()


def test_seed_demo_second_run_changes_nothing():
    # given
    _seed()
    before = _snapshot()

    # when
    _seed()

    # then
    assert _snapshot() == before


def test_seed_demo_more_orders_later_keeps_the_ledger():
    # given
    _seed(orders=60)

    # when
    _seed(orders=120)

    # then
    assert Order.objects.count() == 120
    assert not _mismatched_levels().exists()


def test_seed_demo_owner_can_log_in(client):
    # given
    _seed(orders=0)

    # when
    logged_in = client.login(username="owner", password="backroom-demo")

    # then
    assert logged_in
    owner = get_user_model().objects.get(username="owner")
    assert owner.is_staff
    assert not owner.is_superuser
    assert owner.groups.filter(name=OWNER).exists()
    assert client.login(username="warehouse", password="backroom-demo")
