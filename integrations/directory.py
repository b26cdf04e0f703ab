"""Domain-wide mode: keep the organization's members in step with Entra ID.

New people get an account and a membership, people disabled (or removed) in Entra ID lose access,
people enabled again get it back. Nothing is ever deleted, so nobody's bookings disappear.
Guests are left out: they belong to another organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from integrations.connection import audit, organization_client
from integrations.models import Connection, DirectoryEntry, IntegrationEvent


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    guests_skipped: int = 0

    @property
    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated, "
            f"{self.unchanged} unchanged, {self.guests_skipped} guest(s) left out"
        )


@dataclass(frozen=True)
class Person:
    """What the sync needs from one directory user, whatever shape the client returns."""

    object_id: str
    email: str
    upn: str
    name: str
    enabled: bool
    is_guest: bool


def directory_sync(*, organization: Organization) -> SyncResult:
    """Read every page of `GET /users` and apply it; raises the client's errors (the task retries transient ones)."""
    client = organization_client(organization=organization)
    people = [_person(user) for user in client.list_users(enabled_only=False, members_only=False)]
    result = SyncResult()
    with transaction.atomic():
        seen = {_apply(organization, person, result) for person in people}
        _deactivate_missing(organization, seen - {""}, result)
        Connection.objects.filter(organization=organization).update(
            last_sync_at=timezone.now(), last_sync_summary=result.summary
        )
        if result.added or result.deactivated or result.reactivated:
            audit(
                organization=organization,
                actor=None,
                kind=IntegrationEvent.Kind.DIRECTORY_SYNCED,
                detail=_change_detail(result),
            )
    return result


def _person(user: object) -> Person:
    upn = str(getattr(user, "user_principal_name", "") or "")
    mail = str(getattr(user, "mail", "") or "")
    return Person(
        object_id=str(getattr(user, "id", "")),
        email=(mail or upn).lower(),
        upn=upn.lower(),
        name=str(getattr(user, "display_name", "") or ""),
        enabled=bool(getattr(user, "account_enabled", True)),
        is_guest=str(getattr(user, "user_type", "Member") or "Member").lower() == "guest" or "#EXT#" in upn,
    )


def _apply(organization: Organization, person: Person, result: SyncResult) -> str:
    """Bring one person in step; returns their object id, or "" for a guest."""
    if person.is_guest or not person.email:
        result.guests_skipped += 1
        return ""
    entry = DirectoryEntry.objects.filter(organization=organization, object_id=person.object_id).first()
    if entry is None:
        _link_new(organization, person, result)
        return person.object_id
    _update_existing(entry, person, result)
    return person.object_id


def _link_new(organization: Organization, person: Person, result: SyncResult) -> None:
    user = User.objects.filter(email__iexact=person.email).first()
    if user is None and not person.enabled:
        result.unchanged += 1  # disabled before Overlap ever saw them: nothing to create
        return
    if user is None:
        user = User.objects.create_user(email=person.email, password=None, name=person.name)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"is_active": person.enabled}
    )
    DirectoryEntry.objects.create(
        organization=organization,
        membership=membership,
        object_id=person.object_id,
        user_principal_name=person.upn,
        account_enabled=person.enabled,
        synced_at=timezone.now(),
    )
    if created and person.enabled:
        result.added.append(person.email)
    else:
        _set_active(membership, person.enabled, person.email, result)


def _update_existing(entry: DirectoryEntry, person: Person, result: SyncResult) -> None:
    entry.account_enabled = person.enabled
    entry.user_principal_name = person.upn
    entry.synced_at = timezone.now()
    entry.save(update_fields=["account_enabled", "user_principal_name", "synced_at"])
    _set_active(entry.membership, person.enabled, person.email, result)


def _set_active(membership: Membership, enabled: bool, email: str, result: SyncResult) -> None:
    if membership.is_active == enabled:
        result.unchanged += 1
        return
    membership.is_active = enabled
    membership.save(update_fields=["is_active"])
    (result.reactivated if enabled else result.deactivated).append(email)


def _deactivate_missing(organization: Organization, seen: set[str], result: SyncResult) -> None:
    """People removed from Entra ID altogether lose access like disabled ones."""
    gone = DirectoryEntry.objects.filter(organization=organization, membership__is_active=True).exclude(
        object_id__in=seen
    )
    for entry in gone.select_related("membership__user"):
        entry.account_enabled = False
        entry.save(update_fields=["account_enabled"])
        _set_active(entry.membership, False, entry.membership.user.email, result)


def _change_detail(result: SyncResult) -> str:
    parts = [result.summary]
    for label, emails in (
        ("Added", result.added),
        ("Deactivated", result.deactivated),
        ("Reactivated", result.reactivated),
    ):
        if emails:
            parts.append(f"{label}: {', '.join(emails[:10])}{'…' if len(emails) > 10 else ''}")
    return ". ".join(parts)
