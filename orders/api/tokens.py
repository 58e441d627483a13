"""Back-office page for API tokens: each user creates or rotates their own; an Owner sees and revokes all.

The token's user's role is what the token may do, so a token is only offered to users who
hold a role (``orders.view_order``, which every role has).
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from config.roles import OWNER
from orders.services.api_tokens import issue_api_token, revoke_api_token

ROLE_PERMISSION = "orders.view_order"


def _is_owner(user) -> bool:
    return user.is_superuser or user.groups.filter(name=OWNER).exists()


def _render(request: HttpRequest, *, new_key: str = "") -> HttpResponse:
    owner = _is_owner(request.user)
    own = Token.objects.filter(user=request.user).first()
    tokens = []
    if owner:
        tokens = list(Token.objects.select_related("user").prefetch_related("user__groups").order_by("user__username"))
    context = {"own": own, "new_key": new_key, "is_owner": owner, "tokens": tokens}
    return render(request, "orders/api_tokens.html", context)


@login_required
@permission_required(ROLE_PERMISSION, raise_exception=True)
def token_list_view(request: HttpRequest) -> HttpResponse:
    return _render(request)


@login_required
@permission_required(ROLE_PERMISSION, raise_exception=True)
@require_POST
def token_issue_view(request: HttpRequest) -> HttpResponse:
    """Create or rotate the signed-in user's own token; the key is shown once, on this answer."""
    token = issue_api_token(user=request.user, by=request.user)
    messages.success(request, _("New API token created; any previous one stopped working."))
    response = _render(request, new_key=token.key)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required(ROLE_PERMISSION, raise_exception=True)
@require_POST
def token_revoke_view(request: HttpRequest, user_id: int) -> HttpResponse:
    if user_id != request.user.pk and not _is_owner(request.user):
        raise PermissionDenied
    user = get_object_or_404(get_user_model(), pk=user_id)
    if revoke_api_token(user=user, by=request.user):
        messages.success(request, _("The API token of %(user)s was revoked.") % {"user": user.get_username()})
    else:
        messages.info(request, _("%(user)s had no API token.") % {"user": user.get_username()})
    return redirect("api-tokens:list")
