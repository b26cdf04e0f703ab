"""An organization's Microsoft 365 connection, its audit log, and the people it brings in.

The tenant the admin typed (``Connection.tenant``) is only a wish; ``Connection.tenant_guid`` is the tenant
an admin of it proved with their own verified sign-in at Microsoft, and a tenant is bound to at most one
organization (a database constraint).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organization, User

REACH_CHECK_PATIENCE = timedelta(minutes=10)


class IllegalTransition(Exception):
    """A connection was asked to move to a status it cannot reach from where it is."""


class Connection(models.Model):
    """One per organization: which mode, whether it works, and why not when it does not.

    The status moves only through the `mark_*` methods; each move is checked against `MOVES` and
    written to the integration log here, once. Staying in a status (a second failed check) is not a move.
    """

    class Mode(models.TextChoices):
        DOMAIN_WIDE = "domain_wide", _("Domain-wide")
        DELEGATED = "delegated", _("Individual (each person connects)")

    class Status(models.TextChoices):
        NOT_CONFIGURED = "not_configured", _("Not configured")
        AWAITING_CONSENT = "awaiting_consent", _("Awaiting consent")
        ACTIVE = "active", _("Active")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        REVOKED = "revoked", _("Revoked")
        DISCONNECTED = "disconnected", _("Disconnected")

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="microsoft_connection")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.DOMAIN_WIDE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_CONFIGURED)
    tenant = models.CharField(
        "Azure AD tenant", max_length=255, blank=True, help_text="What the admin typed: a tenant GUID or a domain."
    )
    tenant_guid = models.CharField(
        max_length=64, blank=True, help_text="The tenant an admin of it proved by signing in at Microsoft."
    )
    # When the tenant was proven. Until consent works the tenant is only held (see `binding_pending`): a
    # declined consent, or none within CONSENT_PENDING_HOURS, lets it go, so that the right person can start.
    tenant_proven_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    consented_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=100, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_fix = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    access_group = models.EmailField("mail-enabled security group", blank=True)
    reach_requested_at = models.DateTimeField(null=True, blank=True)
    reach_checked_at = models.DateTimeField(null=True, blank=True)
    # The reach check's progress: people to check, and how many it has checked so far (see MailboxReach).
    reach_total = models.PositiveIntegerField(default=0)
    reach_done = models.PositiveIntegerField(default=0)
    reach_progress_at = models.DateTimeField(null=True, blank=True)  # the last batch it finished
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_summary = models.CharField(max_length=300, blank=True)
    # Directory records the last sync could not apply: [{"object_id", "name", "reason"}].
    sync_skipped = models.JSONField(default=list, blank=True)
    # A sync that would have taken access from many people waits for an admin: {"deactivate": [...], "at": ...}.
    sync_held = models.JSONField(default=dict, blank=True)
    # Where the next sync reads the directory's changes from (Graph's /users/delta link), and for which tenant;
    # empty: the next sync reads everything.
    directory_delta_link = models.TextField(blank=True)
    directory_delta_tenant = models.CharField(max_length=64, blank=True)
    # Rooms: the admin's wish (`rooms_enabled`), and when Microsoft proved it granted Place.Read.All (a places
    # call answered); rooms are offered to members only when both hold.
    rooms_enabled = models.BooleanField(default=False)
    rooms_granted_at = models.DateTimeField(null=True, blank=True)
    rooms_synced_at = models.DateTimeField(null=True, blank=True)
    rooms_sync_summary = models.CharField(max_length=300, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["tenant_guid"],
                condition=~models.Q(tenant_guid=""),
                name="one_organization_per_tenant",
                violation_error_message="This Microsoft 365 tenant is already connected to Overlap.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def rooms_ready(self) -> bool:
        """Members may ask for a room: the admin turned rooms on and Microsoft granted the permission."""
        return self.rooms_enabled and self.rooms_granted_at is not None and self.is_active

    @property
    def binding_pending(self) -> bool:
        """The tenant is proven but no consent has worked yet: held for this organization, not owned."""
        return bool(self.tenant_guid) and self.status == self.Status.AWAITING_CONSENT

    @property
    def held_until(self) -> datetime | None:
        """When a pending binding lets the tenant go unless consent works before (CONSENT_PENDING_HOURS)."""
        if not self.binding_pending or self.tenant_proven_at is None:
            return None
        return self.tenant_proven_at + timedelta(hours=settings.CONSENT_PENDING_HOURS)

    @property
    def in_use(self) -> bool:
        """Consent worked once and nobody disconnected: a refusal from Microsoft is news for the admins."""
        return self.status in (self.Status.ACTIVE, self.Status.NEEDS_ATTENTION, self.Status.REVOKED)

    @property
    def reach_checking(self) -> bool:
        """A reach check was asked for (or moved on) in the last few minutes and has not finished yet."""
        requested = self.reach_requested_at
        if requested is None or not self._reach_pending:
            return False
        moved = max(requested, self.reach_progress_at or requested)
        return timezone.now() - moved < REACH_CHECK_PATIENCE

    @property
    def reach_stalled(self) -> bool:
        """A reach check was asked for long ago and never reported (no worker ran it)."""
        return self._reach_pending and not self.reach_checking

    @property
    def reach_percent(self) -> int:
        return min(100, 100 * self.reach_done // self.reach_total) if self.reach_total else 0

    @property
    def _reach_pending(self) -> bool:
        if self.reach_requested_at is None:
            return False
        return self.reach_checked_at is None or self.reach_checked_at < self.reach_requested_at

    def mark_awaiting_consent(self, *, actor: User | None, why: str, detail: str = "") -> None:
        """A new tenant (or a first one): what Microsoft confirmed for the old one no longer counts.

        `why` (an `IntegrationEvent.Kind`) is what the log records, even when the status stays the same.
        """
        self.tenant_guid = ""
        self.tenant_proven_at = None
        self.consented_at = None
        self.consented_by = None
        self._clear_error()
        self._move(self.Status.AWAITING_CONSENT, actor=actor, detail=detail, why=why)

    def release_tenant(self, *, actor: User | None, detail: str) -> None:
        """Let go of a tenant held while waiting for consent; the organization goes on awaiting consent."""
        if not self.binding_pending:
            raise IllegalTransition("Only a tenant that still waits for its consent can be released.")
        self.tenant_guid = ""
        self.tenant_proven_at = None
        self._move(self.Status.AWAITING_CONSENT, actor=actor, detail=detail, why=IntegrationEvent.Kind.TENANT_RELEASED)

    def mark_active(self, *, actor: User | None, detail: str = "") -> None:
        """Microsoft gave a token for the confirmed tenant and answered a harmless call with it."""
        if not self.tenant_guid:
            raise IllegalTransition("A connection without a confirmed tenant cannot be active.")
        self._clear_error()
        self._move(self.Status.ACTIVE, actor=actor, detail=detail)

    def mark_problem(self, *, code: str, message: str, fix: str) -> None:
        """Microsoft could not be used (throttled, down, the policy): needs attention, with the fix."""
        self._set_error(code=code, message=message, fix=fix)
        self._move(self.Status.NEEDS_ATTENTION, actor=None, detail=f"{code}: {message}")

    def mark_revoked(self, *, code: str, message: str, fix: str) -> None:
        """Microsoft says the consent is gone: no call is made until an admin grants it again."""
        self._set_error(code=code, message=message, fix=fix)
        self._move(self.Status.REVOKED, actor=None, detail=message)

    def mark_disconnected(self, *, actor: User | None, detail: str = "") -> None:
        """An admin stopped the connection in Overlap; the tenant Microsoft confirmed is forgotten."""
        self.tenant_guid = ""
        self.tenant_proven_at = None
        self._clear_error()
        self._move(self.Status.DISCONNECTED, actor=actor, detail=detail)

    def _move(self, to: Connection.Status, *, actor: User | None, detail: str, why: str = "") -> None:
        """Check the move, save, and log it: the one place a connection's status changes."""
        before = self.Status(self.status)
        if to not in MOVES[before]:
            raise IllegalTransition(f"A connection cannot go from {before.label} to {to.label}.")
        self.status = to
        with transaction.atomic():
            self.save()
            if before != to or why:
                text = detail if why else f"{before.label} → {to.label}" + (f": {detail}" if detail else "")
                IntegrationEvent.objects.create(
                    organization=self.organization,
                    actor=actor,
                    kind=why or _move_kind(before, to),
                    detail=text[:500],
                )

    def _set_error(self, *, code: str, message: str, fix: str) -> None:
        self.last_error_code = code[:100]
        self.last_error_message = message
        self.last_error_fix = fix
        self.last_error_at = timezone.now()

    def _clear_error(self) -> None:
        self.last_error_code = ""
        self.last_error_message = ""
        self.last_error_fix = ""
        self.last_error_at = None

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
        TENANT_CHANGED = "tenant_changed", _("Tenant ID changed")
        MODE_CHANGED = "mode_changed", _("Mode changed")
        TENANT_PROVEN = "tenant_proven", _("Tenant proven by an admin's sign-in")
        TENANT_RELEASED = "tenant_released", _("Tenant released: no consent was given")
        CONSENT_GRANTED = "consent_granted", _("Consent granted")
        CONSENT_FAILED = "consent_failed", _("Consent not completed")
        CONSENT_REVOKED = "consent_revoked", _("Consent revoked")
        CHECKED = "checked", _("Connection tested")
        DISCONNECTED = "disconnected", _("Disconnected")
        AWAITING_CONSENT = "awaiting_consent", _("Waiting for consent")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        RESTORED = "restored", _("Connection works again")
        GROUP_CHANGED = "group_changed", _("Security group changed")
        DIRECTORY_SYNCED = "directory_synced", _("Directory synchronised")
        MEMBER_CONNECTED = "member_connected", _("Member connected a calendar")
        MEMBER_DISCONNECTED = "member_disconnected", _("Member disconnected a calendar")
        MICROSOFT_LINKED = "microsoft_linked", _("Member connected their Microsoft account")
        SYNC_HELD = "sync_held", _("Directory sync waits for an admin")
        ROOMS_CHANGED = "rooms_changed", _("Rooms turned on or off")
        ROOMS_SYNCED = "rooms_synced", _("Rooms synchronised")

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
    # The address Graph gave for this object id (`mail`, else the UPN): what getSchedule's `schedules` and an
    # invitation's attendee carry. Never taken from User.email, which a member can change.
    mail = models.CharField(max_length=255, blank=True)
    account_enabled = models.BooleanField(default=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "object_id"], name="one_entry_per_directory_object")
        ]

    def __str__(self) -> str:
        return self.user_principal_name or self.object_id


class MailboxReach(models.Model):
    """What the last reach check found for one person: whether Overlap can read and book in their mailbox.

    One row per person, so that a page or a search reads only the people it shows.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mailbox_reach")
    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="mailbox_reach")
    reachable = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["organization", "reachable"], name="mailbox_reach_by_answer")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ({'reachable' if self.reachable else 'not reachable'})"


class CalendarGrant(models.Model):
    """A member's own connection in delegated mode: their encrypted token cache and its health."""

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        RECONNECT_NEEDED = "reconnect_needed", _("Reconnect needed")
        DISCONNECTED = "disconnected", _("Not connected")

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

    def mark_reconnect_needed(self, *, reason: str) -> None:
        """Microsoft no longer accepts the member's sign-in; they (and their admins) see "reconnect"."""
        self.status = self.Status.RECONNECT_NEEDED
        self.last_error_message = reason
        self.last_error_at = timezone.now()
        self.save(update_fields=["status", "last_error_message", "last_error_at"])


_S = Connection.Status
# Where a connection may go from each status. Staying put is allowed where a check can find the same
# again; a disconnected connection can only be connected again (consent, or a new tenant).
MOVES: dict[Connection.Status, frozenset[Connection.Status]] = {
    _S.NOT_CONFIGURED: frozenset({_S.AWAITING_CONSENT}),
    _S.AWAITING_CONSENT: frozenset({_S.AWAITING_CONSENT, _S.ACTIVE, _S.DISCONNECTED}),
    _S.ACTIVE: frozenset({_S.ACTIVE, _S.NEEDS_ATTENTION, _S.REVOKED, _S.DISCONNECTED, _S.AWAITING_CONSENT}),
    _S.NEEDS_ATTENTION: frozenset({_S.ACTIVE, _S.NEEDS_ATTENTION, _S.REVOKED, _S.DISCONNECTED, _S.AWAITING_CONSENT}),
    _S.REVOKED: frozenset({_S.ACTIVE, _S.NEEDS_ATTENTION, _S.REVOKED, _S.DISCONNECTED, _S.AWAITING_CONSENT}),
    _S.DISCONNECTED: frozenset({_S.ACTIVE, _S.AWAITING_CONSENT}),
}
_K = IntegrationEvent.Kind
_MOVE_KIND = {
    _S.AWAITING_CONSENT: _K.AWAITING_CONSENT,
    _S.ACTIVE: _K.CONSENT_GRANTED,
    _S.NEEDS_ATTENTION: _K.NEEDS_ATTENTION,
    _S.REVOKED: _K.CONSENT_REVOKED,
    _S.DISCONNECTED: _K.DISCONNECTED,
}


def _move_kind(before: Connection.Status, to: Connection.Status) -> str:
    if to == _S.ACTIVE and before == _S.NEEDS_ATTENTION:
        return _K.RESTORED  # it worked before and works again: no new consent was needed
    return _MOVE_KIND[to]


class RoomList(models.Model):
    """A room list of the organization's Exchange (a building, usually), as the places API gives it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="room_lists")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.CharField(max_length=255)
    name = models.CharField(max_length=200)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "address"], name="one_room_list_per_address")
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A bookable room of the organization, synced from the places API (never edited in Overlap).

    `address` is the room mailbox's address from the directory record: what getSchedule's `schedules` and the
    resource attendee carry. A room Graph stops listing (removed in Exchange, or hidden from the address list)
    is deleted at the next sync; bookings keep its name and address.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rooms")
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.CharField(max_length=255)
    name = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    building = models.CharField(max_length=200, blank=True)
    floor_label = models.CharField(max_length=100, blank=True)
    floor_number = models.IntegerField(null=True, blank=True)
    has_display = models.BooleanField(default=False)
    has_video = models.BooleanField(default=False)
    has_audio = models.BooleanField(default=False)
    wheelchair = models.BooleanField(default=False)
    room_list = models.ForeignKey(RoomList, null=True, blank=True, on_delete=models.SET_NULL, related_name="rooms")
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["building", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organization", "address"], name="one_room_per_address")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def where(self) -> str:
        """Building and floor in a few words, for a page."""
        floor = self.floor_label or (f"floor {self.floor_number}" if self.floor_number is not None else "")
        return ", ".join(part for part in (self.building, floor) if part)
