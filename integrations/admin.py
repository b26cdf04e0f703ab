"""Django admin for operators: connections and the audit log, never a token."""

from __future__ import annotations

from django.contrib import admin

from integrations.models import CalendarGrant, Connection, DirectoryEntry, IntegrationEvent


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin[Connection]):
    list_display = ("organization", "mode", "status", "tenant_guid", "last_checked_at", "last_error_code")
    list_filter = ("status", "mode")
    # The status moves only through the model's mark_* methods, which log each move.
    readonly_fields = ("status", "tenant_guid", "consented_at", "consented_by", "reach_total", "reach_done", "updated")


@admin.register(IntegrationEvent)
class IntegrationEventAdmin(admin.ModelAdmin[IntegrationEvent]):
    list_display = ("created", "organization", "kind", "actor", "detail")
    list_filter = ("kind",)

    def has_change_permission(self, request: object, obj: IntegrationEvent | None = None) -> bool:
        return False  # an audit log is not edited


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(admin.ModelAdmin[DirectoryEntry]):
    list_display = ("user_principal_name", "organization", "account_enabled", "synced_at")
    search_fields = ("user_principal_name", "object_id")


@admin.register(CalendarGrant)
class CalendarGrantAdmin(admin.ModelAdmin[CalendarGrant]):
    list_display = ("membership", "status", "user_principal_name", "connected_at")
    list_filter = ("status",)
    exclude = ("token_cache",)
