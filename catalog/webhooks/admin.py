"""Admin for the webhook tables (imported by ``catalog.admin``): endpoints editable, deliveries a read-only log."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from catalog.webhooks.models import WebhookDelivery, WebhookEndpoint
from catalog.webhooks.services import redeliver_webhook, send_test_webhook


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "description", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("secret", "created_by", "created_at", "updated_at")
    actions = ["send_test_event"]

    @admin.action(permissions=["change"], description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            send_test_webhook(endpoint=endpoint, by=request.user)
        self.message_user(request, _("Test events queued."), messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "next_attempt_at",
    )
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    search_fields = ("event_id", "endpoint__url")
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(permissions=["view"], description=_("Redeliver selected deliveries"))
    def redeliver(self, request, queryset):
        if not request.user.has_perm("catalog.change_webhookendpoint"):
            self.message_user(request, _("Only the Owner may redeliver."), messages.ERROR)
            return
        for delivery in queryset:
            redeliver_webhook(delivery=delivery, by=request.user)
        self.message_user(request, _("%(count)s deliveries queued again.") % {"count": queryset.count()})
