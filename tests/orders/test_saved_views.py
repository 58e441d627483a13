"""Saved order-list views: each user's own tabs, saved from the current filters, removed with a POST."""

import re

import pytest
from django.urls import reverse

from config import roles
from orders.models import SavedOrderView
from orders.services.saved_views import clean_view_query, save_order_view
from tests.orders.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("orders:order-list")
SAVE = reverse("orders:order-view-save")


@pytest.fixture
def owner(db):
    return UserFactory(role=roles.OWNER)


def tab_names(response) -> list[str]:
    tabs = re.search(r'data-testid="view-tabs">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', tabs)


def test_clean_query_drops_paging_and_empty_values_and_sorts():
    # when
    query = clean_view_query("page=3&status=placed&q=&per_page=100&channel=2&status=processing")
    # then
    assert query == "channel=2&status=placed&status=processing"


def test_saving_the_current_filters_adds_a_tab_that_opens_them(client, owner):
    # given
    client.force_login(owner)
    # when
    response = client.post(SAVE, {"name": "Unshipped wholesale", "query": "channel=3&status=placed&page=2"})
    page = client.get(LIST, {"channel": "3", "status": "placed"})
    # then
    view = SavedOrderView.objects.get(user=owner)
    assert view.query_string == "channel=3&status=placed"
    assert response["Location"] == f"{LIST}?channel=3&status=placed"
    assert tab_names(page) == ["All", "Unpaid", "To ship", "Needs review", "Backordered", "Unshipped wholesale"]
    assert re.search(r'<a class="nav-link active" href="\?channel=3&amp;status=placed"', page.content.decode())


def test_saving_again_under_the_same_name_replaces_the_filters():
    # given
    user = UserFactory()
    save_order_view(user=user, name="Today's pickups", query_string="pickup_location=1")
    # when
    view = save_order_view(user=user, name=" Today's pickups ", query_string="pickup_location=2")
    # then
    assert SavedOrderView.objects.filter(user=user).count() == 1
    assert view.query_string == "pickup_location=2"


def test_new_views_go_to_the_end():
    # given
    user = UserFactory()
    first = save_order_view(user=user, name="A", query_string="status=placed")
    # when
    second = save_order_view(user=user, name="B", query_string="status=processing")
    # then
    assert (first.position, second.position) == (0, 1)


def test_a_view_without_a_name_is_refused(client, owner):
    # given
    client.force_login(owner)
    # when
    client.post(SAVE, {"name": "  ", "query": "status=placed"})
    # then
    assert not SavedOrderView.objects.exists()


def test_another_user_does_not_see_or_delete_my_views(client, owner):
    # given
    mine = save_order_view(user=owner, name="Unshipped wholesale", query_string="status=placed")
    other = UserFactory(role=roles.STAFF)
    client.force_login(other)
    OrderFactory()
    # when
    page = client.get(LIST)
    delete = client.post(reverse("orders:order-view-delete", args=[mine.pk]))
    # then
    assert "Unshipped wholesale" not in tab_names(page)
    assert delete.status_code == 404
    assert SavedOrderView.objects.filter(pk=mine.pk).exists()


def test_deleting_my_view_removes_the_tab(client, owner):
    # given
    view = save_order_view(user=owner, name="Today's pickups", query_string="pickup_location=1")
    client.force_login(owner)
    # when
    get = client.get(reverse("orders:order-view-delete", args=[view.pk]))
    response = client.post(reverse("orders:order-view-delete", args=[view.pk]))
    # then
    assert get.status_code == 405
    assert response["Location"] == LIST
    assert not SavedOrderView.objects.filter(pk=view.pk).exists()
    assert "Today&#x27;s pickups" not in tab_names(client.get(LIST))


def test_builtin_tab_is_active_whatever_the_parameter_order_and_page(client, owner):
    # given
    client.force_login(owner)
    # when
    page = client.get(
        f"{LIST}?payment_status=partially_paid&status=processing&status=placed&payment_status=unpaid&page=1"
    )
    # then
    assert re.search(r'<a class="nav-link active" href="[^"]+" aria-current="page">Unpaid</a>', page.content.decode())


def test_saved_views_need_the_view_permission(client):
    # given
    client.force_login(UserFactory(is_staff=False))
    # when
    response = client.post(SAVE, {"name": "Mine", "query": ""})
    anonymous = client.logout() or client.post(SAVE, {"name": "Mine", "query": ""})
    # then
    assert response.status_code == 403
    assert anonymous.status_code == 302
    assert not SavedOrderView.objects.exists()
