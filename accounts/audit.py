"""The audit trail an organization's admins read: who changed what, on what, when, and from where.

accounts owns the trail's contract (an `Entry`, the `Query` an admin filters with, pages, the CSV, retention) and
the histories that have no other home: people and booking rules, kept as `AuditRecord`s written through `record`.
The apps that keep histories of their own register a `Source` in their `AppConfig.ready()` (integrations its
connection log, booking each booking's history), so that imports keep pointing at accounts and each fact stays in
the one table that owns it.

Entries come newest first, ordered by (instant, source, id). A page ends at a `Cursor` and the next one starts
after it: each source reads only a page's worth of rows, whatever the page number, and the CSV streams in chunks
the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import AuditArea, AuditRecord, AuditWhere, Organization, User

_Row = TypeVar("_Row", bound=Model)

Area = AuditArea
Where = AuditWhere
PAGE_SIZE = 50
CSV_CHUNK = 500
MICROSOFT, OVERLAP = "Microsoft", "Overlap"  # who, when no person acted

_NOT_OURS = gettext_noop("This paging link is not one Overlap made; start again from the newest entries.")


class BadCursor(ValueError):
    """A paging link that Overlap did not make (typed or cut short)."""


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a page ended: the last entry's instant, source and id."""

    at: datetime
    source: str
    id: int

    def text(self) -> str:
        return f"{self.at.isoformat()}~{self.source}~{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        try:
            at, source, number = text.split("~")
            parsed = cls(datetime.fromisoformat(at), source, int(number))
        except ValueError:
            raise BadCursor(gettext(_NOT_OURS)) from None
        if parsed.at.tzinfo is None:
            raise BadCursor(gettext(_NOT_OURS))
        return parsed


@dataclass(frozen=True)
class Entry:
    """One line of the trail, in words an admin reads (never an event's subject or body from Outlook, never a token)."""

    key: Cursor
    area: str  # an `Area`
    what: str
    on: str
    who: str  # a person's name, or MICROSOFT / OVERLAP for what happened by itself
    where: str  # a `Where`
    detail: str = ""

    @property
    def at(self) -> datetime:
        return self.key.at

    @property
    def area_label(self) -> str:
        return str(Area(self.area).label)

    @property
    def where_label(self) -> str:
        return str(Where(self.where).label)


@dataclass(frozen=True)
class Query:
    """What the admin asked for: one organization, and optionally an area, people (who acted or whom it was
    about) and a time range [since, until)."""

    organization: Organization
    area: str = ""
    people: QuerySet[User] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def window(self, field: str) -> Q:
        """The rows in the asked time range, `field` being the source's instant."""
        found = Q()
        if self.since is not None:
            found &= Q(**{f"{field}__gte": self.since})
        if self.until is not None:
            found &= Q(**{f"{field}__lt": self.until})
        return found


class Source(Protocol):
    """A history an app owns, read into the trail."""

    name: str  # unique; it also orders entries of the same instant
    areas: frozenset[str]

    def entries(self, query: Query, *, after: Cursor | None, limit: int) -> list[Entry]:
        """At most `limit` entries that match `query` and come after `after`, newest first."""
        ...

    def prune(self, *, before: datetime) -> int:
        """Delete what happened before `before` (what retention allows); how many rows went."""
        ...


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Read `source` into the trail (by name: registering again replaces it)."""
    _SOURCES[source.name] = source


def after_cursor(cursor: Cursor | None, *, source: str, field: str) -> Q:
    """The rows of `source` that come after `cursor` in the trail's order (newest first; ties by source, then id)."""
    if cursor is None:
        return Q()
    before = Q(**{f"{field}__lt": cursor.at})
    if source == cursor.source:
        return before | Q(**{field: cursor.at, "id__lt": cursor.id})
    return Q(**{f"{field}__lte": cursor.at}) if source < cursor.source else before


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next: Cursor | None  # None: nothing older


def page(query: Query, *, after: Cursor | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the trail: each source's newest `size + 1` after the cursor, merged."""
    chosen = [s for s in _SOURCES.values() if not query.area or query.area in s.areas]
    found = sorted(
        (entry for source in chosen for entry in source.entries(query, after=after, limit=size + 1)),
        key=lambda entry: entry.key,
        reverse=True,
    )
    shown = found[:size]
    return Page(shown, shown[-1].key if len(found) > size else None)


def every_entry(query: Query) -> Iterator[Entry]:
    """The whole filtered trail, newest first, a chunk at a time (for the CSV)."""
    after: Cursor | None = None
    while True:
        chunk = page(query, after=after, size=CSV_CHUNK)
        yield from chunk.entries
        if chunk.next is None:
            return
        after = chunk.next


# -- the CSV -------------------------------------------------------------------------------------------------

CSV_HEADER = ("When", "Who", "What", "On", "From", "Area", "Detail")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula starts with an apostrophe, so that it opens as text."""
    return "'" + cell if cell.startswith(_FORMULA) else cell


class _Line:
    """csv.writer writes into this and hands back the line, so that the response streams line by line."""

    def write(self, text: str) -> str:
        return text


def csv_lines(query: Query, *, zone: tzinfo) -> Iterator[str]:
    """The filtered trail as CSV lines, with times on the viewer's clock (`zone`), offset included."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    for entry in every_entry(query):
        when = timezone.localtime(entry.at, zone).isoformat(timespec="seconds")
        row = (when, entry.who, entry.what, entry.on, entry.where_label, entry.area_label, entry.detail)
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])


# -- retention -----------------------------------------------------------------------------------------------


def retention_days() -> int:
    return int(settings.AUDIT_RETENTION_DAYS)


def prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete every source's entries older than AUDIT_RETENTION_DAYS; how many went, by source."""
    before = (now or timezone.now()) - timedelta(days=retention_days())
    return {name: source.prune(before=before) for name, source in _SOURCES.items()}


# -- people and booking rules: the histories accounts keeps itself -------------------------------------------

ACTIONS: dict[str, StrOrPromise] = {
    "invited": _("Invited"),
    "joined": _("Joined"),
    "added": _("Added from the directory"),
    "role_changed": _("Role changed"),
    "deactivated": _("Deactivated"),
    "reactivated": _("Reactivated"),
    "merged": _("Password account merged"),
    "removed": _("Password account removed"),
    "rules_changed": _("Booking rules changed"),
}


def record(
    *,
    organization: Organization,
    area: Area,
    action: str,
    actor: User | None,
    person: User | None = None,
    target: str = "",
    detail: str = "",
    where: Where = Where.OVERLAP,
) -> AuditRecord:
    """One change to people or booking rules, by `actor` (None: Overlap or Microsoft did it), about `person`."""
    return AuditRecord.objects.create(
        **_fields(organization, area, action, actor, where, detail), **_about(person, target)
    )


def record_people(
    *, organization: Organization, action: str, people: Iterable[User], where: Where, actor: User | None = None
) -> None:
    """The same change to many people at once (a directory sync), in a few inserts."""
    common = _fields(organization, Area.PEOPLE, action, actor, where, "")
    AuditRecord.objects.bulk_create((AuditRecord(**common, **_about(p, "")) for p in people), batch_size=500)


def _fields(
    organization: Organization, area: Area, action: str, actor: User | None, where: Where, detail: str
) -> dict[str, object]:
    name = str(actor)[:200] if actor is not None else ""
    return {
        "organization": organization,
        "area": area,
        "action": action,
        "actor": actor,
        "actor_name": name,
        "where": where,
        "detail": detail[:500],
    }


def _about(person: User | None, target: str) -> dict[str, object]:
    return {"person": person, "target": (target or (person.email if person is not None else ""))[:300]}


def newest(
    rows: QuerySet[_Row], query: Query, *, after: Cursor | None, source: str, field: str, limit: int
) -> list[_Row]:
    """`source`'s rows in the asked window that come after `after`, newest first, at most `limit`: what every
    source's `entries` reads before turning rows into entries."""
    rows = rows.filter(query.window(field), after_cursor(after, source=source, field=field))
    return list(rows.order_by(f"-{field}", "-id")[:limit])


class _Records:
    """The trail's reading of `AuditRecord`."""

    name = "accounts"
    areas: frozenset[str] = frozenset({Area.PEOPLE, Area.RULES})

    def entries(self, query: Query, *, after: Cursor | None, limit: int) -> list[Entry]:
        rows = AuditRecord.objects.filter(organization=query.organization).select_related("actor", "person")
        if query.area:
            rows = rows.filter(area=query.area)
        if query.people is not None:
            rows = rows.filter(Q(actor__in=query.people) | Q(person__in=query.people))
        found = newest(rows, query, after=after, source=self.name, field="at", limit=limit)
        return [self._entry(row) for row in found]

    def _entry(self, row: AuditRecord) -> Entry:
        return Entry(
            key=Cursor(row.at, self.name, row.pk),
            area=row.area,
            what=str(ACTIONS.get(row.action, row.action)),
            on=_on(row),
            who=_who(row),
            where=row.where,
            detail=row.detail,
        )

    def prune(self, *, before: datetime) -> int:
        return AuditRecord.objects.filter(at__lt=before).delete()[0]


def _on(row: AuditRecord) -> str:
    if row.person is not None:
        return f"{row.person} ({row.person.email})" if row.person.name else row.person.email
    return row.target


def _who(row: AuditRecord) -> str:
    if row.actor is not None:
        return str(row.actor)
    if row.actor_name:
        return f"{row.actor_name} (removed since)"
    return MICROSOFT if row.where == Where.DIRECTORY else OVERLAP


register(_Records())
