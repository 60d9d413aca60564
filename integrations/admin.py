"""Django admin for integrations: read-mostly, and never shows the encrypted key or the key."""

from django.contrib import admin

from .models import AuditLogEntry, Connection, SyncRun


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("organization", "provider", "status", "key_display", "last_synced_at", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("organization__name", "organization__slug", "team_id")
    # The Fernet token is excluded too: it is useless to an operator and only widens exposure.
    exclude = ("encrypted_api_key",)
    readonly_fields = (
        "organization",
        "provider",
        "key_display",
        # Pointing base_url elsewhere would send the key to another host: not editable here.
        "base_url",
        "capabilities",
        "stream_status",
        "last_error",
        "last_synced_at",
        "last_attempt_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    fields = (
        "organization",
        "provider",
        "key_display",
        "team_id",
        "base_url",
        "status",
        "capabilities",
        "stream_status",
        "last_error",
        "last_synced_at",
        "last_attempt_at",
        "created_by",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        # A connection needs a key validated with Cursor: use the settings page or `connect_cursor`.
        return False

    @admin.display(description="API key")
    def key_display(self, obj):
        return f"••••{obj.api_key_last4}" if obj.api_key_last4 else "—"


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "organization", "status", "trigger", "created_at", "finished_at")
    list_filter = ("status", "trigger")
    search_fields = ("organization__slug",)
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "provider", "action", "actor", "detail")
    list_filter = ("provider", "action")
    search_fields = ("organization__slug", "actor__email", "detail")
    readonly_fields = [f.name for f in AuditLogEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
