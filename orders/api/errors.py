"""One shape for every error the API answers: ``{"error": {"code", "message", "fields"}}``.

The HTTP status says the kind (400 bad input, 401 no or bad token, 403 the role may not,
404 not found, 409 conflict with the state of things, 422 idempotency key reused with
another body). ``fields`` maps a field name (dotted for nested input: ``lines.0.sku``,
``shipping_address.country``) to its messages. A 409 may carry more keys beside these
(``shortages``, ``order``) that say what to do next.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class APIError(exceptions.APIException):
    """A refusal the API answers with its own code, message, field errors and extra keys."""

    def __init__(
        self,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        code: str = "invalid",
        message: str = "",
        fields: dict | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}
        self.headers = headers or {}


def field_error(field: str, message: str, *, code: str = "invalid") -> APIError:
    return APIError(code=code, message=message, fields={field: [message]})


def error_body(*, code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"lines.0.sku": ["…"]}``; non-field errors under ``non_field_errors``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for k, v in _flatten(item, name).items():
                        out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def api_exception_handler(exc, context):
    """DRF's handler (status, headers), then our body; every 4xx leaves in the same shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("Your role may not do this."))
    if isinstance(exc, APIError):
        response = Response(
            error_body(code=exc.code, message=exc.message, fields=exc.fields, **exc.extra),
            status=exc.status_code,
            headers=exc.headers,
        )
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling, logged
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = _("The request has errors; see the fields.")
        body = error_body(code="invalid", message=message, fields=fields)
    else:
        code = next((c for cls, c in CODES.items() if isinstance(exc, cls)), "error")
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = error_body(code=code, message=str(detail))
    response.data = body
    return response


@csrf_exempt  # token-authenticated API: no cookies, so no CSRF (as DRF's own views)
def not_found_view(request, *args, **kwargs):
    """Any path under /api/ that is not an endpoint: a 404 in the API's shape, not an HTML page."""
    return JsonResponse(error_body(code="not_found", message=_("No such endpoint.")), status=404)
