import re

import pytest
from django.urls import reverse

from config import roles
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's


def test_login_page_renders_a_labelled_form(client):
    # when
    response = client.get(reverse("login"))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label class="form-label" for="id_username">' in html
    assert '<label class="form-label" for="id_password">' in html
    assert 'type="password"' in html
    assert "Content-Security-Policy" in response.headers
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))


def test_right_password_logs_in_and_goes_to_the_dashboard(client):
    # given
    UserFactory(username="ada", role=roles.STAFF)

    # when
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:dashboard")
    assert client.get(reverse("orders:dashboard")).status_code == 200


def test_wrong_password_shows_an_error_and_does_not_log_in(client):
    # given
    UserFactory(username="ada", role=roles.STAFF)

    # when
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})

    # then
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_user_visiting_login_is_redirected(client):
    # given
    client.force_login(UserFactory(role=roles.OWNER))

    # when
    response = client.get(reverse("login"))

    # then
    assert response.status_code == 302


def test_too_many_failures_lock_the_account_out(client, settings):
    # given
    settings.AXES_ENABLED = True
    UserFactory(username="ada", role=roles.STAFF)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("login"), {"username": "ada", "password": "wrong"}).status_code == 200

    # when: the limit is reached, then even the right password is refused
    at_limit = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    sixth = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})

    # then
    assert at_limit.status_code == 429
    assert sixth.status_code == 429
    assert "Too many failed log-in attempts" in sixth.content.decode()
    assert "Try again in 15 minutes" in sixth.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client):
    # given
    client.force_login(UserFactory(role=roles.OWNER))

    # when
    by_get = client.get(reverse("logout"))
    still_in = "_auth_user_id" in client.session
    by_post = client.post(reverse("logout"))

    # then
    assert by_get.status_code == 405
    assert still_in
    assert by_post.status_code == 302
    assert by_post["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
