"""Admin for the API's Idempotency-Key records: read-only; a stuck in-progress key may be deleted."""

from django.contrib import admin

from orders.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "user", "method", "path", "status", "response_status", "created_at")
    list_filter = ("status", "method")
    list_select_related = ("user",)
    search_fields = ("key", "path", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
