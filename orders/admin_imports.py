"""Admin for the order import jobs (imported by ``orders.admin``): a read-only record of each file."""

from django.contrib import admin

from orders.models import OrderImport


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "filename", "status", "done", "total", "created_by")
    list_filter = ("status",)
    list_select_related = ("created_by",)
    search_fields = ("filename",)
    date_hierarchy = "created_at"
    exclude = ("content",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
