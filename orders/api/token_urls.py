"""The back-office page where a user manages their API token (mounted at /settings/api-tokens/)."""

from django.urls import path

from orders.api import tokens

app_name = "api-tokens"

urlpatterns = [
    path("", tokens.token_list_view, name="list"),
    path("issue/", tokens.token_issue_view, name="issue"),
    path("<int:user_id>/revoke/", tokens.token_revoke_view, name="revoke"),
]
