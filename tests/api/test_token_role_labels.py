"""The API tokens table (and the header) show a role's translated label, not the stored group name."""

import pytest
from django.utils.functional import Promise
from rest_framework.authtoken.models import Token

from config import roles
from orders.templatetags.role_labels import role_label
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_role_column_shows_the_roles_label(client, monkeypatch):
    # given a label that differs from the group's name (as it does in German or French)
    monkeypatch.setitem(roles.ROLE_LABELS, roles.WAREHOUSE, "Lager")
    other = UserFactory(role=roles.WAREHOUSE)
    Token.objects.create(user=other)
    client.force_login(UserFactory(role=roles.OWNER))
    # when
    html = client.get("/settings/api-tokens/").content.decode()
    # then
    table = html[html.index('data-testid="token-table"') :]
    assert "<td>Lager</td>" in table
    assert "<td>Warehouse</td>" not in table


def test_every_role_has_a_lazy_translated_label_and_other_groups_keep_their_name():
    for role in (roles.OWNER, roles.STAFF, roles.WAREHOUSE):
        assert isinstance(role_label(role), Promise) and str(role_label(role)) == role
    assert role_label("Accountants") == "Accountants"
