"""The Owner's discount-code pages: list with uses, create and edit with field errors, deactivate; who may do what."""

from decimal import Decimal

import pytest

from catalog.models import DiscountCode
from catalog.services import redeem_discount_code
from tests.catalog.factories import ChannelFactory, DiscountCodeFactory
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/catalog/discounts/"
NEW = "/catalog/discounts/new/"


@pytest.fixture
def owner(client):
    client.force_login(UserFactory(role="Owner"))


def _valid(**overrides) -> dict:
    data = {
        "code": "summer-10",
        "description": "Summer sale",
        "kind": "percent",
        "value": "10",
        "min_subtotal_amount": "20.00",
        "valid_from": "",
        "valid_until": "",
        "usage_limit": "100",
        "per_customer_limit": "1",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _use(code: DiscountCode, *, times: int = 1, released: bool = False, channel=None) -> None:
    from catalog.services import release_discount_code

    channel = channel or ChannelFactory()
    for n in range(times):
        order = OrderFactory(channel=channel)
        redeem_discount_code(
            code=code.code,
            order_id=order.pk,
            channel=channel,
            email=f"c{n}@example.com",
            subtotal=Decimal("50"),
            amount=Decimal("5.00"),
        )
        if released:
            release_discount_code(order_id=order.pk)


def test_the_list_shows_uses_and_discount_given_in_a_fixed_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    # given
    web = ChannelFactory(code="web")
    used = DiscountCodeFactory(code="USED", usage_limit=5, channels=[web])
    _use(used, times=2, channel=web)
    _use(used, times=1, released=True, channel=web)  # a cancelled order's use does not count
    for n in range(10):
        DiscountCodeFactory(code=f"MANY{n}", channels=[web])
    # when
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    # then
    assert response.status_code == 200
    rows = {code.code: code for code in response.context["page"].object_list}
    assert rows["USED"].use_count == 2
    assert rows["USED"].discount_given == Decimal("10.00")
    assert "Discount codes" in response.content.decode()


def test_the_list_filters_by_state_kind_channel_and_search(client, owner):
    web, phone = ChannelFactory(code="web"), ChannelFactory(code="phone")
    DiscountCodeFactory(code="WEBONLY", channels=[web])
    DiscountCodeFactory(code="EVERYWHERE")
    DiscountCodeFactory(code="FIXED5", kind=DiscountCode.Kind.FIXED, value=Decimal("5"), channels=[phone])
    DiscountCodeFactory(code="OFF", is_active=False)
    full = DiscountCodeFactory(code="FULL", usage_limit=1)
    _use(full)

    def codes(query: str) -> set[str]:
        return {c.code for c in client.get(f"{LIST}?{query}").context["page"].object_list}

    assert codes(f"channel={web.pk}") == {"WEBONLY", "EVERYWHERE", "OFF", "FULL"}
    assert codes("kind=fixed") == {"FIXED5"}
    assert codes("state=inactive") == {"OFF"}
    assert codes("state=used_up") == {"FULL"}
    assert codes("state=usable") == {"WEBONLY", "EVERYWHERE", "FIXED5"}
    assert codes("q=web") == {"WEBONLY"}
    chips = client.get(f"{LIST}?kind=fixed").context["applied"]
    assert chips[0]["value"] == "Fixed amount off"


def test_a_bad_filter_says_so_and_shows_nothing(client, owner):
    DiscountCodeFactory()
    response = client.get(f"{LIST}?state=bogus&channel=abc")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_the_owner_creates_a_code(client, owner):
    web = ChannelFactory(code="web")
    response = client.post(NEW, _valid(channels=[web.pk]))
    assert response.status_code == 302
    code = DiscountCode.objects.get()
    assert code.code == "SUMMER-10"
    assert code.value == Decimal("10.00")
    assert list(code.channels.all()) == [web]


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"code": ""}, "code", "Enter a code"),
        ({"code": "a b!"}, "code", "letters"),
        ({"value": "150"}, "value", "at most 100"),
        ({"value": "0"}, "value", "above zero"),
        ({"value": "abc"}, "value", "number"),
        ({"kind": "gift"}, "kind", "valid choice"),
        ({"valid_from": "2026-12-10T00:00", "valid_until": "2026-12-01T00:00"}, "valid_until", "after the start"),
        ({"usage_limit": "0"}, "usage_limit", "at least 1"),
        ({"min_subtotal_amount": "-5"}, "min_subtotal_amount", "negative"),
        ({"code": "taken"}, "code", "exists already"),
    ],
)
def test_bad_input_is_said_next_to_the_field_and_nothing_is_saved(client, owner, overrides, field, says):
    DiscountCodeFactory(code="TAKEN")
    response = client.post(NEW, _valid(**overrides))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert says.lower() in errors.lower()
    assert DiscountCode.objects.count() == 1


def test_editing_a_used_code_keeps_its_name_and_refuses_a_limit_below_its_uses(client, owner):
    code = DiscountCodeFactory(code="USED", usage_limit=5)
    _use(code, times=2)
    url = f"/catalog/discounts/{code.pk}/"
    assert client.get(url).status_code == 200
    refused = client.post(url, _valid(code="RENAMED", usage_limit="1"))
    assert refused.status_code == 400
    assert "lower" in " ".join(refused.context["form"].errors["usage_limit"])
    code.refresh_from_db()
    assert (code.code, code.usage_limit) == ("USED", 5)
    # the code field is disabled: a posted new name is ignored, the rest is saved
    saved = client.post(url, _valid(code="RENAMED", usage_limit="3", value="15"))
    assert saved.status_code == 302
    code.refresh_from_db()
    assert (code.code, code.usage_limit, code.value) == ("USED", 3, Decimal("15.00"))


def test_deactivate_and_activate(client, owner):
    code = DiscountCodeFactory(code="STOP")
    response = client.post(f"/catalog/discounts/{code.pk}/deactivate/", {"active": "0"}, follow=True)
    assert "deactivated" in response.content.decode()
    code.refresh_from_db()
    assert not code.is_active
    client.post(f"/catalog/discounts/{code.pk}/deactivate/", {"active": "1"})
    code.refresh_from_db()
    assert code.is_active
    assert client.get(f"/catalog/discounts/{code.pk}/deactivate/").status_code == 405


def test_staff_may_look_but_not_change(client):
    code = DiscountCodeFactory(code="LOOK")
    client.force_login(UserFactory(role="Staff"))
    assert client.get(LIST).status_code == 200
    assert "New discount code" not in client.get(LIST).content.decode()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _valid()).status_code == 403
    assert client.get(f"/catalog/discounts/{code.pk}/").status_code == 403
    assert client.post(f"/catalog/discounts/{code.pk}/deactivate/", {"active": "0"}).status_code == 403
    code.refresh_from_db()
    assert code.is_active


def test_warehouse_does_not_see_discount_codes(client):
    client.force_login(UserFactory(role="Warehouse"))
    assert client.get(LIST).status_code == 403
    assert "Discount codes" not in client.get("/stock/").content.decode()
