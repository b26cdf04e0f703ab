"""An organization's Microsoft 365 connection, its audit log, and the people it brings in.

The tenant the admin typed stays on ``Organization.azure_tenant_id``; what Microsoft confirmed at
consent time (the tenant GUID) lives on the connection, because only a verified value may be used.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from accounts.models import Membership, Organization, User


class Connection(models.Model):
    """One per organization: which mode, whether it works, and why not when it does not."""

    class Mode(models.TextChoices):
        DOMAIN_WIDE = "domain_wide", "Domain-wide"
        DELEGATED = "delegated", "Individual (each person connects)"

    class Status(models.TextChoices):
        NOT_CONFIGURED = "not_configured", "Not configured"
        AWAITING_CONSENT = "awaiting_consent", "Awaiting consent"
        ACTIVE = "active", "Active"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        REVOKED = "revoked", "Revoked"

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="microsoft_connection")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.DOMAIN_WIDE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_CONFIGURED)
    tenant_guid = models.CharField(max_length=64, blank=True, help_text="The tenant Microsoft confirmed.")
    consented_at = models.DateTimeField(null=True, blank=True)
    consented_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=100, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_fix = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    access_group = models.EmailField("mail-enabled security group", blank=True)
    reach_checked_at = models.DateTimeField(null=True, blank=True)
    reach_report = models.JSONField(default=list, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_summary = models.CharField(max_length=300, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def badge(self) -> str:
        """The CSS badge class for the status, so that it reads at a glance."""
        return {
            self.Status.ACTIVE: "ok",
            self.Status.NEEDS_ATTENTION: "warn",
            self.Status.AWAITING_CONSENT: "warn",
            self.Status.REVOKED: "bad",
        }.get(self.Status(self.status), "")


class IntegrationEvent(models.Model):
    """The audit log an organization's admins read: who changed the connection, and when."""

    class Kind(models.TextChoices):
        TENANT_CHANGED = "tenant_changed", "Tenant ID changed"
        MODE_CHANGED = "mode_changed", "Mode changed"
        CONSENT_GRANTED = "consent_granted", "Consent granted"
        CONSENT_FAILED = "consent_failed", "Consent not completed"
        CONSENT_REVOKED = "consent_revoked", "Consent revoked"
        CHECKED = "checked", "Connection tested"
        DISCONNECTED = "disconnected", "Disconnected"
        GROUP_CHANGED = "group_changed", "Security group changed"
        DIRECTORY_SYNCED = "directory_synced", "Directory synchronised"
        MEMBER_CONNECTED = "member_connected", "Member connected a calendar"
        MEMBER_DISCONNECTED = "member_disconnected", "Member disconnected a calendar"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="integration_events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor or 'Overlap'}"


class DirectoryEntry(models.Model):
    """Links a membership to the person's Entra ID object, so that a sync can find them again."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="directory_entries")
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="directory_entry")
    object_id = models.CharField(max_length=64)
    user_principal_name = models.CharField(max_length=255, blank=True)
    account_enabled = models.BooleanField(default=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "object_id"], name="one_entry_per_directory_object")
        ]

    def __str__(self) -> str:
        return self.user_principal_name or self.object_id


class CalendarGrant(models.Model):
    """A member's own connection in delegated mode: their encrypted token cache and its health."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"
        DISCONNECTED = "disconnected", "Not connected"

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="calendar_grant")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    token_cache = models.TextField(blank=True, help_text="Encrypted; never shown.")
    account_oid = models.CharField(max_length=64, blank=True)
    user_principal_name = models.CharField(max_length=255, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.get_status_display()})"
