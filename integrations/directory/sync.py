"""Domain-wide mode: keep the organization's members in step with Entra ID.

People are found and created by their object id only, never by email address. New people get an account
and a membership, people disabled (or removed) in Entra ID lose access, people enabled again get it back.
A new object id is a new person, even with an old address: the old person is deactivated and keeps their
history. Nothing is ever deleted. Guests are left out: they belong to another organization.

One odd record never aborts a sync: it is skipped and reported. A sync never takes access from the last
active admin, and one that would deactivate more than half of the active members waits for an admin.

Two ways to read the directory, for organizations of any size (100,000 people and more):
- A full sync reads `GET /users` in pages of 999 with only the fields it keeps, and applies each page as it
  arrives (the directory is never held in memory), with a fixed number of queries per page (bulk inserts and
  updates; a page where nothing changed writes nothing; a renamed person's name follows Entra ID). People it
  did not list lose access at the end. Just before reading, it asks Graph for a delta link for "now".
- Later syncs read `GET /users/delta` from that link: only the people added, changed or removed since (an
  `@removed` person loses access), and store the next link. When Graph no longer knows the link (it lives 7
  days), when the tenant changed, or when an admin confirms a held sync, the sync is a full one.
A held sync keeps its old delta link, so the people it held back are reported again until an admin confirms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.audit import Where
from accounts.models import Membership, Organization
from integrations.connection.clients import organization_client, usable_tenant
from integrations.connection.log import audit
from integrations.connection.lookup import connection_for, connection_rows
from integrations.microsoft.errors import SyncReset
from integrations.microsoft.types import DirectoryPage
from integrations.models import DirectoryEntry, IntegrationEvent


@dataclass(frozen=True)
class Known:
    """What the sync compares for a person it already links (read as plain values: no model instances, whose
    reference cycles would keep each page in memory until the garbage collector runs)."""

    entry_id: int
    account_enabled: bool
    upn: str
    mail: str
    membership_id: int
    is_active: bool
    deactivated_by_admin: bool
    role: str
    user_id: int
    name: str


_KNOWN_FIELDS = (
    "pk",
    "account_enabled",
    "user_principal_name",
    "mail",
    "membership_id",
    "membership__is_active",
    "membership__deactivated_by_admin",
    "membership__role",
    "membership__user_id",
    "membership__user__name",
)
SAMPLE = 10  # addresses named in the audit log per kind of change


@dataclass
class Tally:
    """How many people a kind of change touched, and the first few addresses (a big sync stays small)."""

    count: int = 0
    sample: list[str] = field(default_factory=list)

    def add(self, email: str) -> None:
        self.count += 1
        if len(self.sample) < SAMPLE:
            self.sample.append(email)

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0


@dataclass(frozen=True)
class Leaving:
    """A member about to lose access: the membership, whether they are an admin, and what the report says."""

    membership_id: int
    is_admin: bool
    label: str


@dataclass
class SyncResult:
    mode: str = "full"  # or "delta"
    added: Tally = field(default_factory=Tally)
    deactivated: Tally = field(default_factory=Tally)
    reactivated: Tally = field(default_factory=Tally)
    unchanged: int = 0
    guests_skipped: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    to_deactivate: dict[int, Leaving] = field(default_factory=dict, repr=False)  # by membership id
    seen: set[str] = field(default_factory=set, repr=False)  # full sync: every object id listed
    removed: set[str] = field(default_factory=set, repr=False)  # delta sync: object ids Graph reported removed
    clashes: list[Person] = field(default_factory=list, repr=False)  # new people whose address someone holds
    pages: int = 0
    tenant: str = ""  # the tenant every new person belongs to

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

    def leave(self, membership: Membership, label: str) -> None:
        self.leave_by_id(membership.pk, is_admin=membership.is_admin, label=label)

    def leave_by_id(self, membership_id: int, *, is_admin: bool, label: str) -> None:
        if membership_id not in self.to_deactivate:
            self.to_deactivate[membership_id] = Leaving(membership_id, is_admin, label)

    def listed(self, object_id: str) -> bool:
        """Whether the directory still holds this object id, as far as this sync knows."""
        return object_id in self.seen if self.mode == "full" else object_id not in self.removed


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
    """Bring the organization in step with Entra ID: from the stored delta link when there is one, else in full.

    Raises the client's errors (the task retries transient ones). `confirmed`: an admin agreed to a large
    deactivation that an earlier sync held back (always a full sync, so that it sees who is gone).
    """
    client = organization_client(organization=organization)
    connection = connection_for(organization=organization)
    assert connection is not None  # organization_client said it is active
    tenant = usable_tenant(organization=organization)
    agreed = set(connection.sync_held.get("deactivate", [])) if confirmed else set()
    link = connection.directory_delta_link if connection.directory_delta_tenant == tenant and not confirmed else ""
    if link:
        try:
            result = SyncResult(mode="delta", tenant=tenant)
            return _sync(organization, result, client.users_delta(link), agreed, tenant, None)
        except SyncReset:
            pass  # Graph forgot the link (older than 7 days): read everything again
    fresh_link = client.users_delta_from_now()  # taken first: what changes during the read comes next time
    return _sync(organization, SyncResult(tenant=tenant), client.user_pages(), agreed, tenant, fresh_link)


def _sync(
    organization: Organization,
    result: SyncResult,
    pages: Iterator[DirectoryPage],
    agreed: set[str],
    tenant: str,
    link: str | None,
) -> SyncResult:
    for page in pages:
        result.pages += 1
        _apply_page(organization, page, result)
        link = page.delta_link or link
    with transaction.atomic():
        for person in result.clashes:
            _apply_safely(organization, person, result)
        _find_leavers(organization, result)
        _deactivate(organization, result, agreed=agreed)
        _finish(organization, result, tenant, link)
    return result


def _finish(organization: Organization, result: SyncResult, tenant: str, link: str | None) -> None:
    now = timezone.now()
    fields = {
        "last_sync_at": now,
        "last_sync_summary": result.summary[:300],
        "sync_skipped": result.skipped,
        "sync_held": {"deactivate": result.held, "at": now.isoformat()} if result.held else {},
    }
    if link and not result.held:  # a held sync reads the same changes again next time
        fields |= {"directory_delta_link": link, "directory_delta_tenant": tenant}
    connection_rows(organization=organization).update(**fields)
    if result.added or result.deactivated or result.reactivated or result.held:
        audit(
            organization=organization,
            actor=None,
            kind=IntegrationEvent.Kind.SYNC_HELD if result.held else IntegrationEvent.Kind.DIRECTORY_SYNCED,
            detail=_change_detail(result),
        )


# -- one page ------------------------------------------------------------------------------------------


def _apply_page(organization: Organization, page: DirectoryPage, result: SyncResult) -> None:
    """Apply one page with a fixed number of queries, whatever its size; a page that changes nothing writes
    nothing. The page's new people go in bulk; if the database refuses the bulk, one by one."""
    people = _usable(organization, page.users, result)
    result.removed.update(object_id.lower() for object_id in page.removed if object_id)
    entries = _entries(organization, [p.object_id for p in people])
    newcomers = [p for p in people if p.object_id not in entries and p.enabled]
    result.unchanged += sum(1 for p in people if p.object_id not in entries and not p.enabled)
    with transaction.atomic():
        _update_existing(organization, [(entries[p.object_id], p) for p in people if p.object_id in entries], result)
        clear = _without_clashes(newcomers, result)
    try:
        with transaction.atomic():
            _create(organization, clear, result)
    except (DatabaseError, ValueError):
        for person in clear:
            _apply_safely(organization, person, result)


def _usable(organization: Organization, users: Iterable[object], result: SyncResult) -> list[Person]:
    """The page's members with an object id and an address; guests counted, odd records reported."""
    people = []
    for user in users:
        person = _person(user)
        if person.is_guest:
            result.guests_skipped += 1
        elif not person.object_id or not person.email or "@" not in person.email:
            result.skip(person, "no object id or no usable address in Entra ID")
            result.seen.add(person.object_id)  # known to the directory: not a reason to deactivate anyone
        else:
            result.seen.add(person.object_id)
            people.append(person)
    return people


def _entries(organization: Organization, object_ids: list[str]) -> dict[str, Known]:
    """The people of this page Overlap already links, by object id, in one query."""
    if not object_ids:
        return {}
    found = DirectoryEntry.objects.filter(organization=organization, object_id__in=object_ids)
    return {row[0]: Known(*row[1:]) for row in found.values_list("object_id", *_KNOWN_FIELDS)}


def _update_existing(organization: Organization, pairs: list[tuple[Known, Person]], result: SyncResult) -> None:
    """Entries whose directory state changed are written in one bulk update; memberships and names in a few."""
    changed, back, renamed = [], [], []
    now = timezone.now()
    for known, person in pairs:
        if (known.account_enabled, known.upn, known.mail) != (person.enabled, person.upn, person.email):
            entry = DirectoryEntry(pk=known.entry_id, account_enabled=person.enabled, synced_at=now)
            entry.user_principal_name, entry.mail = person.upn, person.email
            changed.append(entry)
        if person.name and known.name != person.name[:200]:  # Entra ID holds the name of its people
            renamed.append((known.user_id, person.name[:200]))
        if not person.enabled and known.is_active:
            result.leave_by_id(known.membership_id, is_admin=known.role == Membership.Role.ADMIN, label=person.email)
        elif person.enabled and not known.is_active and not known.deactivated_by_admin:
            back.append(known.membership_id)
            result.reactivated.add(person.email)
        else:
            result.unchanged += 1
    if changed:
        DirectoryEntry.objects.bulk_update(changed, ["account_enabled", "user_principal_name", "mail", "synced_at"])
    accounts.memberships_set_active(ids=back, is_active=True)
    accounts.users_rename(names=renamed)


def _without_clashes(newcomers: list[Person], result: SyncResult) -> list[Person]:
    """The new people whose address nobody holds; the others wait for the end of the sync (`_link_new`), when
    it is known whether the holder is still in the directory."""
    held = accounts.addresses_held(emails=[p.email for p in newcomers])
    clear, taken = [], set(held)
    for person in newcomers:
        if person.email in taken:
            result.clashes.append(person)
            continue
        taken.add(person.email)
        clear.append(person)
    return clear


def _create(organization: Organization, people: list[Person], result: SyncResult) -> None:
    if not people:
        return
    users = accounts.users_bulk_create(tenant=result.tenant, people=[(p.object_id, p.email, p.name) for p in people])
    memberships = accounts.memberships_bulk_create(users=users, organization=organization)
    now = timezone.now()
    DirectoryEntry.objects.bulk_create(
        DirectoryEntry(
            organization=organization,
            membership=membership,
            object_id=person.object_id,
            user_principal_name=person.upn,
            mail=person.email,
            account_enabled=True,
            synced_at=now,
        )
        for person, membership in zip(people, memberships, strict=True)
    )
    for person in people:
        result.added.add(person.email)


# -- one person, for the odd cases ----------------------------------------------------------------------


def _apply_safely(organization: Organization, person: Person, result: SyncResult) -> None:
    """`_link_new` inside a savepoint: a record the database refuses is skipped, the rest of the sync goes on."""
    try:
        with transaction.atomic():
            _link_new(organization, person, result)
    except (DatabaseError, ValueError) as exc:
        result.skip(person, f"could not be saved ({type(exc).__name__})")


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


def _link_new(organization: Organization, person: Person, result: SyncResult) -> None:
    """A new object id is a new person: never matched to an existing account by address."""
    if DirectoryEntry.objects.filter(organization=organization, object_id=person.object_id).exists():
        return  # listed twice in one read (a delta may repeat a person): already linked
    if not _free_address(organization, person, result):
        return
    user = accounts.microsoft_person(
        tenant=result.tenant, object_id=person.object_id, email=person.email, name=person.name
    )
    membership, _ = accounts.membership_ensure(user=user, organization=organization, where=Where.DIRECTORY)
    DirectoryEntry.objects.create(
        organization=organization,
        membership=membership,
        object_id=person.object_id,
        user_principal_name=person.upn,
        mail=person.email,
        account_enabled=person.enabled,
        synced_at=timezone.now(),
    )
    result.added.add(person.email)


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
    if result.listed(old.object_id) and (result.mode == "full" or old.account_enabled):
        # two people in Entra ID give the same address: never guess who is who
        result.skip(person, f"the address {person.email} is also given by another person in Entra ID")
        return False
    # Entra ID deleted the old person and made a new one with the address: the old account keeps its history.
    old.account_enabled = False
    old.save(update_fields=["account_enabled"])
    accounts.user_retire_address(user=holder, reason="replaced")
    if old.membership.is_active:
        result.leave(old.membership, f"{person.email} (replaced by a new Microsoft account)")
    return True


# -- who leaves -----------------------------------------------------------------------------------------


def _find_leavers(organization: Organization, result: SyncResult) -> None:
    """Full sync: every active person the directory no longer listed. Delta sync: every person it removed."""
    active = DirectoryEntry.objects.filter(organization=organization, membership__is_active=True)
    if result.mode == "delta":
        gone = _chunked(active, sorted(result.removed))
    else:  # streamed from the database, compared with the ids listed: no query per person
        rows = active.values_list("object_id", flat=True).iterator(chunk_size=2000)
        gone = _chunked(active, [object_id for object_id in rows if object_id not in result.seen])
    DirectoryEntry.objects.filter(pk__in=[entry.pk for entry in gone]).update(account_enabled=False)
    for entry in gone:
        result.leave(entry.membership, entry.membership.user.email)


def _chunked(entries: QuerySet[DirectoryEntry], object_ids: list[str], size: int = 900) -> list[DirectoryEntry]:
    """The entries among `object_ids`, a few hundred ids per query (SQLite caps a query's parameters)."""
    found: list[DirectoryEntry] = []
    for start in range(0, len(object_ids), size):
        found.extend(entries.filter(object_id__in=object_ids[start : start + size]).select_related("membership__user"))
    return found


def _deactivate(organization: Organization, result: SyncResult, *, agreed: set[str]) -> None:
    """Take access from the people leaving, within the two safety limits.

    `agreed`: the people an admin confirmed after an earlier sync held them back; only they may go in bulk.
    """
    leaving = list(result.to_deactivate.values())
    if not leaving:
        return
    active = Membership.objects.filter(organization=organization, is_active=True).count()
    if len(leaving) * 2 > active and not {one.label for one in leaving} <= agreed:
        result.held = [one.label for one in leaving]
        return
    admins = accounts.active_admin_count(organization=organization)
    going = []
    for one in leaving:
        if one.is_admin and admins <= 1:
            result.skip(Person(email=one.label), "the last active admin keeps access; make someone else admin first")
            continue
        going.append(one.membership_id)
        admins -= 1 if one.is_admin else 0
        result.deactivated.add(one.label)
    accounts.memberships_set_active(ids=going, is_active=False)
    accounts.memberships_sign_out(ids=going)  # disabled or deleted in Entra ID: their open sessions end now


def _change_detail(result: SyncResult) -> str:
    parts = [result.summary]
    for label, tally in (
        ("Added", result.added),
        ("Deactivated", result.deactivated),
        ("Reactivated", result.reactivated),
    ):
        if tally:
            parts.append(f"{label}: {', '.join(tally.sample)}{'…' if tally.count > SAMPLE else ''}")
    return ". ".join(parts)
