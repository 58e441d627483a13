"""Every back-office URL asks for a login and the right permission, not only the menus.

The URL patterns are walked from the resolver, so a page added later is covered without
touching this file.
"""

import re

import pytest

from tests.orders.factories import UserFactory
from tests.url_patterns import walk_url_patterns

pytestmark = pytest.mark.django_db

# Reached without signing in, on purpose.
PUBLIC = {"login", "logout", "shipping:track"}
PUBLIC_PREFIXES = ("billing/webhooks/", "shipping/webhooks/", "webhooks/", "shop/", "api/")


def _sample_path(route: str) -> str:
    """A concrete path for a route; the permission check comes before any lookup."""
    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<(?:str|slug|path):[^>]+>|<[^>]+>", "x", path)
    return "/" + path


BACK_OFFICE = sorted(
    (name, _sample_path(route))
    for name, route in walk_url_patterns()
    if name not in PUBLIC and not route.startswith(PUBLIC_PREFIXES) and not route.startswith("static/")
)


def test_the_walk_finds_the_back_office():
    names = {name for name, _path in BACK_OFFICE}
    assert {"orders:dashboard", "orders:order-list", "inventory:stock-list", "settings"} <= names
    assert len(BACK_OFFICE) > 30


@pytest.mark.parametrize(("name", "path"), BACK_OFFICE, ids=[name for name, _ in BACK_OFFICE])
def test_anonymous_users_are_sent_to_login(client, name, path):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (302, 405), f"{name} answered {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), f"{name} redirected to {response['Location']}"


@pytest.mark.parametrize(("name", "path"), BACK_OFFICE, ids=[name for name, _ in BACK_OFFICE])
def test_a_signed_in_account_without_a_role_is_refused(client, name, path):
    client.force_login(UserFactory(is_staff=False))
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (403, 405), f"{name} answered {response.status_code} to {method.__name__}"


# Pages a role must not reach (403), by role; each one is a real refusal, not a hidden link.
REFUSED = {
    "Warehouse": [
        "/orders/new/",
        "/billing/invoices/",
        "/billing/export/",
        "/catalog/discounts/",
        "/carts/report/",
        "/orders/import/",
        "/settings/webhooks/",
    ],
    "Staff": [
        "/stock/receive/",
        "/stock/adjust/",
        "/stock/count/",
        "/stock/transfer/",
        "/stock/import/",
        "/catalog/discounts/new/",
        "/catalog/discounts/1/",
        "/settings/webhooks/",
        "/settings/webhooks/new/",
        "/settings/webhooks/1/deliveries/",
    ],
}


@pytest.mark.parametrize(("role", "path"), [(role, path) for role, paths in REFUSED.items() for path in paths], ids=str)
def test_each_role_is_refused_what_it_may_not_do(client, role, path):
    client.force_login(UserFactory(role=role))
    assert client.get(path).status_code == 403
