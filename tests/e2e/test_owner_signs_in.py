"""Journey 1, its first steps: the owner signs in and lands on the dashboard with the day's figures."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.catalog.factories import ChannelFactory
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_signs_in_and_sees_todays_sales_by_channel(live_server, page):
    # given an owner and two orders placed today on the phone
    UserFactory(username="owner", role="Owner")
    phone = ChannelFactory(code="phone", name="Phone")
    OrderFactory(channel=phone, total_amount=Decimal("100.00"), placed_at=timezone.now())
    OrderFactory(channel=phone, total_amount=Decimal("50.00"), placed_at=timezone.now())
    # when
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    # then
    page.wait_for_url(f"{live_server.url}/")
    body = page.locator("main").inner_text()
    assert "Phone" in body
    assert "150.00" in body
    # the stylesheet and scripts are served from our own origin and load under the CSP
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""


def test_a_wrong_password_is_refused_with_a_message(live_server, page):
    UserFactory(username="owner", role="Owner")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.locator("form").get_by_role("alert").count() or "correct username" in page.content()
    assert page.url.startswith(f"{live_server.url}/login/")
