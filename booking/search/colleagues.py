"""The organizer's colleagues: found as they type, and looked up by the UUIDs a form or a link carries.

Every lookup starts from the organizer's own organization and its active members: a person of another
organization is exactly as unknown as a UUID nobody has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

import integrations.calendars as calendars
from accounts.kept_queries import KeptQuery
from accounts.models import Membership
from accounts.search import first_matches

MOST_FOUND = 12


@dataclass(frozen=True)
class Colleague:
    membership: Membership
    not_enabled: calendars.NotEnabled | None = None  # why Overlap cannot book with them, if it cannot

    @property
    def no_mailbox(self) -> bool:
        """No mailbox in the organization's directory (a guest, a password account): they cannot be invited."""
        return self.not_enabled is not None and self.not_enabled.no_mailbox

    @property
    def uuid(self) -> str:
        return str(self.membership.user.uuid)

    @property
    def name(self) -> str:
        return self.membership.user.display_name

    @property
    def email(self) -> str:
        return self.membership.user.email


def colleagues(*, organizer: Membership) -> QuerySet[Membership]:
    """The organizer's organization's active members, the organizer left out."""
    return _colleagues_of(organizer.organization_id, organizer.pk)


def _colleagues_of(organization_id: int, organizer_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization_id=organization_id, is_active=True, user__is_active=True)
        .exclude(pk=organizer_id)
        .select_related("user", "organization")
    )


def colleagues_matching(*, organizer: Membership, query: str) -> list[Colleague]:
    """Up to `MOST_FOUND` colleagues whose name or email contains every word typed, by name.

    Runs on every keystroke: two queries (LIMITed, on indexes; see accounts.search), whatever the size of
    the organization; nothing else is read.
    """
    shown = first_matches(colleagues(organizer=organizer), query, most=MOST_FOUND)
    outside = calendars.not_enabled(organizer=organizer, people=shown)
    return [Colleague(m, outside.get(m.pk)) for m in shown]


def colleagues_by_uuid(*, organizer: Membership, uuids: Iterable[str]) -> dict[str, Membership]:
    """Each UUID that names an active colleague, mapped to their membership; anything else is left out. Read
    `with_reach`: whether Overlap can book with them costs no second query."""
    valid = [u for u in map(as_uuid, uuids) if u is not None]
    found = _BY_UUID.all(organizer.organization_id, organizer.pk, valid)
    for member in found:
        member.organization = organizer.organization  # the organizer's own, read with them: not joined again
    return {str(m.user.uuid): m for m in found}


# Every search reads its people this way: the statement is made once for each number of people
# (`accounts.kept_queries`).
_BY_UUID = KeptQuery(
    lambda organization_id, organizer_id, valid: calendars.with_reach(
        _colleagues_of(organization_id, organizer_id)
        .filter(user__uuid__in=valid)
        .select_related(None)
        .select_related("user")
    )
)


def as_uuid(value: str) -> uuid.UUID | None:
    """The UUID a form or a link carries, however it is written (capitals, no hyphens), or None."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
