"""Reads for the webhook pages: a fixed number of queries whatever the log's length."""

from django.db.models import Count, Max, Q, QuerySet

from catalog.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def list_webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    """Endpoints with their delivery counts and last delivery time (one query)."""
    return WebhookEndpoint.objects.annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        last_delivery_at=Max("deliveries__created_at"),
    ).order_by("url", "pk")


def list_webhook_deliveries(
    *, endpoint: WebhookEndpoint, status: str = "", event: str = ""
) -> QuerySet[WebhookDelivery]:
    """The endpoint's log, newest first, optionally narrowed by status and event."""
    qs = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    if event:
        qs = qs.filter(event=event)
    return qs.order_by("-created_at", "-pk")
