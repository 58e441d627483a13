"""The Settings index (/settings/): each role sees the settings pages it may open, and only those.

Every link shown is opened as the same user and must answer 200; every settings page left out
must refuse that user, so the index and the target pages cannot disagree about a permission.
"""

import re

import pytest
from django.urls import reverse

from catalog.webhooks.services import create_webhook_endpoint
from config import roles
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

# Every entry of the index: title → the URL it opens.
PAGES = {
    "Store settings": "/admin/catalog/storesettings/",
    "Channels": "/admin/catalog/channel/",
    "Locations": "/admin/inventory/location/",
    "Price lists": "/admin/catalog/pricelist/",
    "Customer groups": "/admin/catalog/customergroup/",
    "Tax rates": "/admin/catalog/taxrate/",
    "Discount codes": "/catalog/discounts/",
    "Shipping methods": "/admin/shipping/shippingmethod/",
    "Carrier accounts": "/admin/shipping/carrieraccount/",
    "API tokens": "/settings/api-tokens/",
    "Webhooks": "/settings/webhooks/",
}

SEEN = {
    roles.OWNER: set(PAGES),
    roles.STAFF: {
        "Channels",
        "Locations",
        "Price lists",
        "Customer groups",
        "Tax rates",
        "Discount codes",
        "Shipping methods",
        "API tokens",
    },
    roles.WAREHOUSE: {"Locations", "Shipping methods", "API tokens"},
}


def _links(html: str) -> dict[str, str]:
    """The index's links: title → href."""
    index = html[html.index('data-testid="settings-index"') :]
    return {
        title: href for href, title in re.findall(r'<a class="[^"]*stretched-link" href="([^"]+)">([^<]+)</a>', index)
    }


@pytest.mark.parametrize("role", list(SEEN))
def test_each_role_sees_the_settings_pages_it_may_open_and_they_open(client, role):
    # given
    client.force_login(UserFactory(role=role))
    # when
    response = client.get(reverse("settings"))
    # then
    assert response.status_code == 200
    links = _links(response.content.decode())
    assert set(links) == SEEN[role]
    for title, href in links.items():
        assert href == PAGES[title]
        assert client.get(href).status_code == 200, f"{role} cannot open {title}"
    for title in set(PAGES) - SEEN[role]:
        assert client.get(PAGES[title]).status_code in (302, 403), f"{role} may open {title}, the index hides it"


def test_without_admin_access_the_admin_pages_are_left_out(client):
    # given: the Staff role's permissions, but not an admin account
    client.force_login(UserFactory(role=roles.STAFF, is_staff=False))
    # when
    links = _links(client.get(reverse("settings")).content.decode())
    # then
    assert set(links) == {"Discount codes", "API tokens"}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_account_that_may_open_no_settings_page_is_refused(client):
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/settings/").status_code == 403


@pytest.mark.parametrize("role", list(SEEN))
def test_the_index_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries, role):
    # given
    client.force_login(UserFactory(role=role))
    # then: session, user, the user's and the groups' permissions (read once for all the entries),
    # the store's name and the role for the header
    with django_assert_max_num_queries(6):
        assert client.get("/settings/").status_code == 200


def test_the_settings_pages_breadcrumb_and_the_navigation_lead_to_the_index(client):
    # given
    client.force_login(UserFactory(role=roles.OWNER))
    hook = create_webhook_endpoint(url="https://example.com/hooks", events=["order.placed"])
    crumb = '<li class="breadcrumb-item"><a href="/settings/">Settings</a></li>'
    # then
    for url in (
        "/settings/api-tokens/",
        "/settings/webhooks/",
        "/settings/webhooks/new/",
        f"/settings/webhooks/{hook.pk}/",
        f"/settings/webhooks/{hook.pk}/deliveries/",
    ):
        assert crumb in client.get(url).content.decode(), url
    nav = client.get("/settings/").content.decode()
    assert 'href="/settings/" aria-current="page">Settings</a>' in nav
