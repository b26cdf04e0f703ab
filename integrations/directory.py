"""Domain-wide mode: keep the organization's members in step with Entra ID.

People are found and created by their object id only, never by email address. New people get an account
and a membership, people disabled (or removed) in Entra ID lose access, people enabled again get it back.
A new object id is a new person, even with an old address: the old person is deactivated and keeps their
history. Nothing is ever deleted. Guests are left out: they belong to another organization.

One odd record never aborts a sync: it is skipped and reported. A sync never takes access from the last
active admin, and one that would deactivate more than half of the active members waits for an admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Membership, Organization
from integrations.connection import audit, organization_client
from integrations.models import Connection, DirectoryEntry, IntegrationEvent


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    guests_skipped: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    to_deactivate: list[tuple[Membership, str]] = field(default_factory=list, repr=False)
    present: set[str] = field(default_factory=set, repr=False)  # every object id the directory listed

    @property
    def summary(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated, "
            f"{self.unchanged} unchanged, {self.guests_skipped} guest(s) left out"
        )
        if self.skipped:
            text += f", {len(self.skipped)} skipped"
        if self.held:
            text += f"; {len(self.held)} deactivation(s) wait for an admin"
        return text

    def skip(self, person: Person, reason: str) -> None:
        self.skipped.append({"object_id": person.object_id, "name": person.name or person.email, "reason": reason})


@dataclass(frozen=True)
class Person:
    """What the sync needs from one directory user, whatever shape the client returns."""

    object_id: str = ""
    email: str = ""
    upn: str = ""
    name: str = ""
    enabled: bool = True
    is_guest: bool = False


def directory_sync(*, organization: Organization, confirmed: bool = False) -> SyncResult:
    """Read every page of `GET /users` and apply it; raises the client's errors (the task retries transient ones).

    `confirmed`: an admin agreed to a large deactivation that an earlier sync held back.
    """
    client = organization_client(organization=organization)
    people = [_person(user) for user in client.list_users(enabled_only=False, members_only=False)]
    held = Connection.objects.filter(organization=organization).values_list("sync_held", flat=True).first() or {}
    agreed = set(held.get("deactivate", [])) if confirmed else set()
    result = SyncResult(present={person.object_id for person in people})
    with transaction.atomic():
        seen = {_apply_safely(organization, person, result) for person in people}
        _deactivate(organization, seen - {""}, result, agreed=agreed)
        Connection.objects.filter(organization=organization).update(
            last_sync_at=timezone.now(),
            last_sync_summary=result.summary[:300],
            sync_skipped=result.skipped,
            sync_held={"deactivate": result.held, "at": timezone.now().isoformat()} if result.held else {},
        )
        if result.added or result.deactivated or result.reactivated or result.held:
            audit(
                organization=organization,
                actor=None,
                kind=IntegrationEvent.Kind.SYNC_HELD if result.held else IntegrationEvent.Kind.DIRECTORY_SYNCED,
                detail=_change_detail(result),
            )
    return result


def _apply_safely(organization: Organization, person: Person, result: SyncResult) -> str:
    """`_apply` inside a savepoint: a record the database refuses is skipped, the rest of the sync goes on."""
    try:
        with transaction.atomic():
            return _apply(organization, person, result)
    except (DatabaseError, ValueError) as exc:
        result.skip(person, f"could not be saved ({type(exc).__name__})")
        return person.object_id  # known to the directory: not a reason to deactivate anyone


def _person(user: object) -> Person:
    upn = str(getattr(user, "user_principal_name", "") or "")
    mail = str(getattr(user, "mail", "") or "")
    return Person(
        object_id=str(getattr(user, "id", "") or "").lower(),
        email=(mail or upn).lower(),
        upn=upn.lower(),
        name=str(getattr(user, "display_name", "") or ""),
        enabled=bool(getattr(user, "account_enabled", True)),
        is_guest=str(getattr(user, "user_type", "Member") or "Member").lower() == "guest" or "#EXT#" in upn,
    )


def _apply(organization: Organization, person: Person, result: SyncResult) -> str:
    """Bring one person in step; returns their object id, or "" for a guest."""
    if person.is_guest:
        result.guests_skipped += 1
        return ""
    if not person.object_id or not person.email or "@" not in person.email:
        result.skip(person, "no object id or no usable address in Entra ID")
        return person.object_id
    entry = DirectoryEntry.objects.filter(organization=organization, object_id=person.object_id).first()
    if entry is None:
        _link_new(organization, person, result)
        return person.object_id
    _update_existing(entry, person, result)
    return person.object_id


def _link_new(organization: Organization, person: Person, result: SyncResult) -> None:
    """A new object id is a new person: never matched to an existing account by address."""
    if not person.enabled:
        result.unchanged += 1  # disabled before Overlap ever saw them: nothing to create
        return
    if not _free_address(organization, person, result):
        return
    user = accounts.user_create(email=person.email, name=person.name)
    membership, _ = accounts.membership_ensure(user=user, organization=organization)
    DirectoryEntry.objects.create(
        organization=organization,
        membership=membership,
        object_id=person.object_id,
        user_principal_name=person.upn,
        account_enabled=person.enabled,
        synced_at=timezone.now(),
    )
    result.added.append(person.email)


def _free_address(organization: Organization, person: Person, result: SyncResult) -> bool:
    """Whether the address can go to this new person; an old directory person of ours who held it is retired."""
    holder = accounts.user_holding(email=person.email)
    if holder is None:
        return True
    old = DirectoryEntry.objects.filter(organization=organization, membership__user=holder).first()
    if old is None:
        result.skip(person, f"the address {person.email} belongs to another Overlap account; it was not merged")
        return False
    if old.object_id == person.object_id:
        return True
    if old.object_id in result.present:  # two people in Entra ID give the same address: never guess who is who
        result.skip(person, f"the address {person.email} is also given by another person in Entra ID")
        return False
    # Entra ID deleted the old person and made a new one with the address: the old account keeps its history.
    old.account_enabled = False
    old.save(update_fields=["account_enabled"])
    accounts.user_retire_address(user=holder, reason="replaced")
    if old.membership.is_active:
        result.to_deactivate.append((old.membership, f"{person.email} (replaced by a new Microsoft account)"))
    return True


def _update_existing(entry: DirectoryEntry, person: Person, result: SyncResult) -> None:
    entry.account_enabled = person.enabled
    entry.user_principal_name = person.upn
    entry.synced_at = timezone.now()
    entry.save(update_fields=["account_enabled", "user_principal_name", "synced_at"])
    _set_active(entry.membership, person.enabled, person.email, result)


def _set_active(membership: Membership, enabled: bool, email: str, result: SyncResult) -> None:
    if not enabled and membership.is_active:
        result.to_deactivate.append((membership, email))
        return
    if enabled and membership.deactivated_by_admin:  # enabled in Entra ID, but an admin here said no
        result.unchanged += 1
        return
    if not accounts.membership_set_active(membership=membership, is_active=enabled):
        result.unchanged += 1
        return
    result.reactivated.append(email)


def _deactivate(organization: Organization, seen: set[str], result: SyncResult, *, agreed: set[str]) -> None:
    """Take access from people disabled or removed in Entra ID, within the two safety limits.

    `agreed`: the people an admin confirmed after an earlier sync held them back; only they may go in bulk.
    """
    gone = DirectoryEntry.objects.filter(organization=organization, membership__is_active=True).exclude(
        object_id__in=seen
    )
    for entry in gone.select_related("membership__user"):
        entry.account_enabled = False
        entry.save(update_fields=["account_enabled"])
        result.to_deactivate.append((entry.membership, entry.membership.user.email))
    if not result.to_deactivate:
        return
    active = Membership.objects.filter(organization=organization, is_active=True).count()
    if len(result.to_deactivate) * 2 > active and not {email for _, email in result.to_deactivate} <= agreed:
        result.held = [email for _, email in result.to_deactivate]
        return
    admins = accounts.active_admin_count(organization=organization)
    for membership, email in result.to_deactivate:
        if membership.is_admin and admins <= 1:
            result.skip(Person(email=email), "the last active admin keeps access; make someone else admin first")
            continue
        accounts.membership_set_active(membership=membership, is_active=False)
        admins -= 1 if membership.is_admin else 0
        result.deactivated.append(email)


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
