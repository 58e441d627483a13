"""The API-token page and drf_create_token."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_user_creates_and_rotates_their_own_token(client):
    user = UserFactory(role="Staff")
    client.force_login(user)
    assert client.get("/settings/api-tokens/").status_code == 200
    first = client.post("/settings/api-tokens/issue/")
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    key = Token.objects.get(user=user).key
    assert key in first.content.decode()
    client.post("/settings/api-tokens/issue/")
    new_key = Token.objects.get(user=user).key
    assert new_key != key
    # the old key stopped working, the new one works
    assert client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Token {new_key}").status_code == 200


def test_staff_cannot_see_or_revoke_others_tokens(client):
    other = UserFactory(role="Warehouse")
    Token.objects.create(user=other)
    client.force_login(UserFactory(role="Staff"))
    page = client.get("/settings/api-tokens/").content.decode()
    assert other.username not in page
    assert client.post(f"/settings/api-tokens/{other.pk}/revoke/").status_code == 403
    assert Token.objects.filter(user=other).exists()


def test_an_owner_sees_and_revokes_every_token(client):
    other = UserFactory(role="Warehouse")
    Token.objects.create(user=other)
    client.force_login(UserFactory(role="Owner"))
    assert other.username in client.get("/settings/api-tokens/").content.decode()
    assert client.post(f"/settings/api-tokens/{other.pk}/revoke/").status_code == 302
    assert not Token.objects.filter(user=other).exists()


def test_a_user_revokes_their_own_token(client):
    user = UserFactory(role="Staff")
    Token.objects.create(user=user)
    client.force_login(user)
    client.post(f"/settings/api-tokens/{user.pk}/revoke/")
    assert not Token.objects.filter(user=user).exists()


def test_no_role_no_token_page(client):
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/settings/api-tokens/").status_code == 403
    assert client.post("/settings/api-tokens/issue/").status_code == 403


def test_drf_create_token_works(capsys):
    user = UserFactory(username="marketplace-bot", role="Staff")
    call_command("drf_create_token", "marketplace-bot")
    assert Token.objects.get(user=user).key in capsys.readouterr().out
