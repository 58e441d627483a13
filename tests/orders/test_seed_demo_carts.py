"""seed_demo's storefront carts: something for the cart report and the feed, written once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.models import Cart, CartEvent, CartLine
from orders.selectors.carts import get_cart_report

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_carts_in_every_step_once():
    call_command("seed_demo", orders=80, stdout=StringIO())
    counts = (Cart.objects.count(), CartLine.objects.count(), CartEvent.objects.count())
    today = timezone.localdate()
    report = get_cart_report(date_from=today - timedelta(days=30), date_to=today)
    assert report.started >= 30
    assert report.abandoned > 0 and report.reminded > 0
    assert all(step.reached > 0 for step in report.funnel[:5])
    assert not Cart.objects.filter(status=Cart.Status.CONVERTED, order__isnull=True).exists()
    # every reminder came after the cart was left and before it was ordered
    for cart in Cart.objects.filter(recovered=True):
        reminded = cart.events.filter(kind=CartEvent.Kind.REMINDED).values_list("created_at", flat=True)
        assert all(cart.created_at < when < cart.converted_at for when in reminded)
    # a second run writes nothing more
    call_command("seed_demo", orders=80, stdout=StringIO())
    assert (Cart.objects.count(), CartLine.objects.count(), CartEvent.objects.count()) == counts
