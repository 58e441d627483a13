"""The Owner's webhook pages under /settings/webhooks/: endpoints, their secret, the delivery log.

Thin: forms validate, ``catalog.webhooks.services`` writes, ``selectors`` read.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.webhooks.forms import DeliveryFilterForm, WebhookEndpointForm
from catalog.webhooks.models import WebhookDelivery, WebhookEndpoint
from catalog.webhooks.selectors import list_webhook_deliveries, list_webhook_endpoints
from catalog.webhooks.services import (
    WebhookError,
    create_webhook_endpoint,
    redeliver_webhook,
    rotate_webhook_secret,
    send_test_webhook,
    update_webhook_endpoint,
)

VIEW = "catalog.view_webhookendpoint"
CHANGE = "catalog.change_webhookendpoint"
ADD = "catalog.add_webhookendpoint"
PAGE_SIZE = 50


@login_required
@permission_required(VIEW, raise_exception=True)
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/webhooks/endpoint_list.html", {"endpoints": list_webhook_endpoints()})


def _save(request: HttpRequest, form: WebhookEndpointForm, endpoint: WebhookEndpoint | None):
    data = form.cleaned_data
    try:
        if endpoint is None:
            return create_webhook_endpoint(
                url=data["url"],
                events=data["events"],
                description=data["description"],
                is_active=data["is_active"],
                by=request.user,
            )
        return update_webhook_endpoint(
            endpoint=endpoint,
            url=data["url"],
            events=data["events"],
            description=data["description"],
            is_active=data["is_active"],
        )
    except WebhookError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@login_required
@permission_required(ADD, raise_exception=True)
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        endpoint = _save(request, form, None)
        if endpoint is not None:
            messages.success(request, _("Endpoint added. Its signing secret is shown below."))
            return redirect("webhooks:endpoint-edit", pk=endpoint.pk)
    status = 400 if form.errors else 200
    return render(request, "catalog/webhooks/endpoint_form.html", {"form": form, "endpoint": None}, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
def endpoint_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save(request, form, endpoint) is not None:
        messages.success(request, _("Endpoint saved."))
        return redirect("webhooks:endpoint-edit", pk=endpoint.pk)
    status = 400 if form.errors else 200
    return render(request, "catalog/webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint}, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def endpoint_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    send_test_webhook(endpoint=endpoint, by=request.user)
    messages.success(request, _("Test event queued; its delivery appears in the log below."))
    return redirect("webhooks:delivery-list", pk=endpoint.pk)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def endpoint_rotate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    rotate_webhook_secret(endpoint=endpoint)
    messages.success(request, _("New signing secret made; update the receiver before the next event."))
    return redirect("webhooks:endpoint-edit", pk=endpoint.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def delivery_list_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    filters = DeliveryFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    deliveries = list_webhook_deliveries(
        endpoint=endpoint, status=chosen.get("status", ""), event=chosen.get("event", "")
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.payload_text = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    applied = {k: v for k, v in chosen.items() if v}
    query = urlencode(applied)
    chips = [
        {
            "label": filters.fields[name].label,
            "value": dict(filters.fields[name].choices).get(value, value),
            "url": "?" + urlencode({k: v for k, v in applied.items() if k != name}),
        }
        for name, value in applied.items()
    ]
    context = {"endpoint": endpoint, "filters": filters, "page": page, "query": query, "applied": chips}
    return render(request, "catalog/webhooks/delivery_list.html", context)


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def delivery_redeliver_view(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint_id=pk)
    redeliver_webhook(delivery=delivery, by=request.user)
    messages.success(request, _("Event %(event)s queued again as a new delivery.") % {"event": delivery.event})
    return redirect("webhooks:delivery-list", pk=pk)
