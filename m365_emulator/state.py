"""The emulator's in-memory world: tenants, their people, app registrations, grants and calendars.

Owned by the emulator core; the calendar part (`calendar.py`) keeps its own store per mailbox,
reachable from here as ``Tenant.calendars``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any


@dataclass
class WorkingHours:
    """As getSchedule reports it: lowercase day names, local times, and a Graph timeZone object."""

    days_of_week: list[str]
    start: time
    end: time
    # Either {"name": "<Windows name>"} or a full customTimeZone object (bias, standardOffset, daylightOffset).
    time_zone: dict[str, Any]


# Entra's built-in directory role template ids (the values of the `wids` claim).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
CLOUD_APPLICATION_ADMINISTRATOR = "158c047a-c907-4556-b7ef-446551a6b5f7"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
# Every member holds the default "User" role; Entra lists it in `wids` too, so it proves nothing.
MEMBER_USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ROLE_NAMES = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
    CLOUD_APPLICATION_ADMINISTRATOR: "Cloud Application Administrator",
    APPLICATION_ADMINISTRATOR: "Application Administrator",
    USER_ADMINISTRATOR: "User Administrator",
}
# The roles that may grant tenant-wide admin consent to an app: for delegated permissions and other APIs' app roles.
CONSENT_ROLES = frozenset(
    {GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR, APPLICATION_ADMINISTRATOR}
)
# Microsoft Graph's app roles (application permissions) only these two may grant (Entra's "Grant tenant-wide admin
# consent" prerequisites).
GRAPH_APP_ROLE_CONSENT_ROLES = frozenset({GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR})
# Values of an app registration's `groupMembershipClaims` (its manifest), as Entra accepts them.
GROUP_CLAIM_VALUES = ("None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All")


@dataclass
class BookingPolicy:
    """A room's resource booking policy, as Set-CalendarProcessing names it, with Exchange Online's defaults."""

    automate_processing: str = "AutoAccept"  # AutoAccept | AutoUpdate | None
    allow_conflicts: bool = False
    booking_window_in_days: int = 180
    enforce_scheduling_horizon: bool = True
    maximum_duration_in_minutes: int = 1440
    allow_recurring_meetings: bool = True
    conflict_percentage_allowed: int = 0
    maximum_conflict_instances: int = 0


@dataclass
class Room:
    """The place record of a room mailbox (Graph's `room` resource) and how the room answers invitations."""

    capacity: int
    building: str
    floor_number: int | None = None
    floor_label: str = ""
    audio_device: str | None = None
    video_device: str | None = None
    display_device: str | None = None
    wheelchair_accessible: bool = False
    booking_type: str = "standard"  # standard | reserved
    tags: list[str] = field(default_factory=list)
    nickname: str = ""
    label: str = ""
    hidden_from_address_list: bool = False  # "Hidden from GAL": the places API never returns it
    room_list: str = ""  # the address of the room list it belongs to
    city: str = ""
    country: str = ""
    policy: BookingPolicy = field(default_factory=BookingPolicy)


@dataclass
class RoomList:
    """A room list: a distribution group of rooms, usually one per building."""

    id: str
    address: str
    display_name: str
    city: str = ""
    country: str = ""


@dataclass
class DirectoryUser:
    id: str  # object id (GUID)
    user_principal_name: str
    mail: str
    display_name: str
    given_name: str = ""
    surname: str = ""
    job_title: str = ""
    account_enabled: bool = True
    user_type: str = "Member"  # or "Guest"
    directory_roles: set[str] = field(default_factory=set)  # role template ids assigned tenant-wide
    has_mailbox: bool = True
    mailbox_time_zone: str = "UTC"  # Windows name, the mailbox's own zone
    working_hours: WorkingHours | None = None
    shares_details: bool = False  # whether getSchedule shows subject/location to others
    group_ids: set[str] = field(default_factory=set)
    room: Room | None = None  # set for a room mailbox (kept in Tenant.rooms, never in Tenant.users)

    @property
    def is_admin(self) -> bool:
        """Whether one of the person's directory roles may grant tenant-wide admin consent."""
        return bool(self.directory_roles & CONSENT_ROLES)

    def may_grant(self, application_permissions: list[str]) -> bool:
        """Whether this person may grant an app's admin consent: Graph application permissions need more."""
        needed = GRAPH_APP_ROLE_CONSENT_ROLES if application_permissions else CONSENT_ROLES
        return bool(self.directory_roles & needed)

    def wids(self) -> list[str]:
        """The `wids` claim: assigned role template ids, plus the default member role for members."""
        default = [MEMBER_USER_ROLE] if self.user_type == "Member" else []
        return sorted(self.directory_roles) + default


@dataclass
class Group:
    id: str
    display_name: str
    mail: str
    mail_enabled: bool = True
    security_enabled: bool = True
    member_of: set[str] = field(default_factory=set)  # the groups this group is nested in


@dataclass
class AppRegistration:
    """A multitenant app registration (Overlap's) in its home tenant."""

    client_id: str
    client_secret: str
    display_name: str
    redirect_uris: list[str]
    application_permissions: list[str]  # e.g. ["Calendars.ReadWrite", "User.Read.All"]
    delegated_permissions: list[str]  # e.g. ["User.Read", "Calendars.ReadWrite", ...]
    # The manifest's groupMembershipClaims, e.g. "DirectoryRole" or "SecurityGroup, DirectoryRole".
    group_membership_claims: str = "None"
    # Graph permissions an admin consent may add when the request names them (Overlap's rooms: Place.Read.All);
    # granted per tenant (Tenant.extra_permissions), as app roles and as delegated scopes for everyone.
    optional_permissions: list[str] = field(default_factory=list)

    def claims_groups(self, kind: str) -> bool:
        """Whether tokens for this app carry `kind` ("DirectoryRole" -> wids, "SecurityGroup" -> groups)."""
        values = {v.strip().lower() for v in self.group_membership_claims.split(",")}
        return kind.lower() in values or "all" in values


@dataclass
class RefreshGrant:
    token: str
    client_id: str
    user_id: str
    scopes: list[str]
    issued_at: datetime
    last_used_at: datetime
    revoked: bool = False  # an admin or the user revoked sessions (AADSTS50173)
    tenant_id: str = ""
    expired: bool = False  # forced inactivity expiry (AADSTS700082)


@dataclass
class Tenant:
    id: str  # GUID
    display_name: str
    domains: list[str]  # verified domains, first is the default (x.onmicrosoft.com)
    users: dict[str, DirectoryUser] = field(default_factory=dict)  # by id
    groups: dict[str, Group] = field(default_factory=dict)
    admin_consented_apps: set[str] = field(default_factory=set)  # client ids with admin consent
    # Apps that exist in the tenant (an enterprise app): made by the first admin or user consent; a user's
    # withdrawn consent leaves it, an admin's revocation through the control API removes it.
    service_principals: set[str] = field(default_factory=set)
    user_consents: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (client_id, user_id) -> scopes
    access_policy_group: dict[str, str] = field(default_factory=dict)  # client_id -> group id (RestrictAccess)
    deleted_user_ids: set[str] = field(default_factory=set)  # never handed out again
    calendars: Any = None  # calendar.CalendarStore, set by the fixture loader
    changes: ChangeLog = field(default_factory=lambda: ChangeLog())  # what `/users/delta` reports
    crowd_size: int = 0  # people added by the control API's crowd call so far
    # Room mailboxes by object id: in Entra they are (disabled) user accounts, but kept apart here so that
    # `/users` and `/users/delta` never list them as people; every address lookup still finds them.
    rooms: dict[str, DirectoryUser] = field(default_factory=dict)
    room_lists: dict[str, RoomList] = field(default_factory=dict)  # by lowercased address
    # Graph permissions an admin granted beyond the app registration's configured ones (Place.Read.All when rooms
    # are turned on), per client id: app roles in app-only tokens and delegated scopes for everyone.
    extra_permissions: dict[str, set[str]] = field(default_factory=dict)
    # Meetings whose room attendees have not answered yet: (iCalUId, room object id), oldest first.
    room_answers_due: list[tuple[str, str]] = field(default_factory=list)
    # Address -> user, rebuilt lazily; every hit is re-checked against the user's current fields, so a
    # rename or removal since the index was built can never resolve a stale address.
    _index: dict[str, DirectoryUser] | None = field(default=None, repr=False, compare=False)

    def user_by_address(self, address: str) -> DirectoryUser | None:
        """By object id, UPN or mail, case-insensitively, as Graph resolves `/users/{id|upn}`."""
        wanted = address.strip().lower()
        if wanted in self.users:
            return self.users[wanted]
        if wanted in self.rooms:
            return self.rooms[wanted]
        index = self._index if self._index is not None else self._build_index()
        found = index.get(wanted)
        if found is not None and self.mailbox_by_id(found.id) is found and _answers_to(found, wanted):
            return found
        for user in [*self.users.values(), *self.rooms.values()]:
            if _answers_to(user, wanted):
                self._index = None  # the directory changed since the index was built
                return user
        return None

    def _build_index(self) -> dict[str, DirectoryUser]:
        index: dict[str, DirectoryUser] = {}
        for user in [*self.users.values(), *self.rooms.values()]:
            for key in (user.id, user.user_principal_name, user.mail):
                if key:
                    index.setdefault(key.lower(), user)
        self._index = index
        return index

    def mailbox_by_id(self, object_id: str) -> DirectoryUser | None:
        """A person or a room by object id."""
        return self.users.get(object_id) or self.rooms.get(object_id)

    def can_reach(self, client_id: str, user: DirectoryUser) -> bool:
        """Whether an application access policy lets this app's app-only token reach the mailbox."""
        group = self.access_policy_group.get(client_id)
        return group is None or group in self.groups_of(user)

    def groups_of(self, user: DirectoryUser) -> set[str]:
        """The person's groups, transitively: a member of a nested group is a member of its parents too."""
        found, todo = set(user.group_ids), list(user.group_ids)
        while todo:
            group = self.groups.get(todo.pop())
            for parent in group.member_of - found if group else set():
                found.add(parent)
                todo.append(parent)
        return found


@dataclass
class ChangeLog:
    """The directory's changes as `/users/delta` reports them: every change to a person gets the next version.

    A delta token remembers the version it was issued at; a later call reports the people whose version is newer
    (and the removals since). `generation` changes when the control API expires every delta token.
    """

    version: int = 0
    user_versions: dict[str, int] = field(default_factory=dict)  # object id -> version of its last change
    changed_properties: dict[str, dict[str, int]] = field(default_factory=dict)  # id -> Graph property -> version
    removed: dict[str, tuple[int, str]] = field(default_factory=dict)  # object id -> (version, reason)
    log: list[tuple[int, str]] = field(default_factory=list)  # (version, object id), in version order
    generation: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def touch(self, user_id: str, properties: Iterable[str] | None = None) -> None:
        """A person was changed (`properties`: the Graph names of what changed) or added (None: everything)."""
        self.version += 1
        self.user_versions[user_id] = self.version
        self.removed.pop(user_id, None)
        changed = self.changed_properties.setdefault(user_id, {})
        for name in ["*"] if properties is None else properties:
            changed[name] = self.version
        self.log.append((self.version, user_id))

    def remove(self, user_id: str, reason: str) -> None:
        """A person left the directory: "changed" (soft-deleted, restorable) or "deleted" (for good)."""
        self.version += 1
        self.removed[user_id] = (self.version, reason)
        self.log.append((self.version, user_id))

    def expire(self) -> None:
        """Every delta token issued so far is refused from now on (syncStateNotFound)."""
        self.generation = uuid.uuid4().hex[:12]


def _answers_to(user: DirectoryUser, wanted: str) -> bool:
    return wanted in (user.id.lower(), user.user_principal_name.lower(), user.mail.lower())


@dataclass
class EmulatorState:
    tenants: dict[str, Tenant] = field(default_factory=dict)  # by id
    apps: dict[str, AppRegistration] = field(default_factory=dict)  # by client id
    refresh_grants: dict[str, RefreshGrant] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def tenant(self, key: str) -> Tenant | None:
        """By GUID or verified domain, case-insensitively."""
        wanted = key.strip().lower()
        for tenant in self.tenants.values():
            if wanted == tenant.id.lower() or wanted in (d.lower() for d in tenant.domains):
                return tenant
        return None


def new_id() -> str:
    return str(uuid.uuid4())
