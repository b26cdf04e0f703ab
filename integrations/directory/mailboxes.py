"""Whose mailbox Overlap names, and the address Graph needs for a person: both from their directory record.

A Graph path names a person by their Entra ID object id (from a verified token or the directory sync), never
by an address; an address Graph needs as data (getSchedule's `schedules`, an attendee) is the one Graph gave
for that object id. `User.email` is a member's to change (allauth's address pages), so it is never used here:
otherwise a member who makes the CFO's address their own would have Overlap write into the CFO's calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from accounts.models import Organization
from integrations.microsoft import errors
from integrations.microsoft.client import GraphClient
from integrations.models import DirectoryEntry

# Why a person cannot be invited or organize: no mailbox Overlap may name for them.
# English, marked for the catalogues: a page says it with gettext(NO_RECORD).
NO_RECORD = gettext_noop(
    "no mailbox in your organization's Microsoft 365 directory (an invited guest or a password account): "
    "Overlap cannot read their calendar or invite them"
)


@dataclass(frozen=True)
class Mailbox:
    """A person's mailbox as Graph knows it: the object id for paths, the address for data."""

    object_id: str
    address: str


def directory_mailboxes(
    *, organization: Organization, membership_ids: Iterable[int], lookup: Callable[[], GraphClient | None]
) -> dict[int, Mailbox]:
    """Each membership's mailbox, by membership id, from its enabled directory record; people without one
    (or whom the directory has disabled) are left out. One query.

    A record whose address Overlap has not stored yet (linked at a sign-in, before a sync) is looked up at Graph
    by its object id with the client `lookup` gives (the tenant's app-only one), and kept; when it gives none
    (individual mode reads no directory) the UPN of the person's verified token stands in. Raises the client's
    errors.
    """
    ids = list(membership_ids)
    entries = DirectoryEntry.objects.filter(organization=organization, membership_id__in=ids, account_enabled=True)
    found = {}
    for entry in entries:
        address = entry.mail or _looked_up(entry, lookup())
        if address:
            found[entry.membership_id] = Mailbox(entry.object_id, address.lower())
    return found


def directory_addresses(*, organization: Organization, addresses: Iterable[str]) -> set[str]:
    """Which of these addresses are the directory address of one of the organization's enabled people (one query).

    Only those may go to Graph as data: anything else came from somewhere a member can write.
    """
    wanted = {a.lower() for a in addresses}
    entries = DirectoryEntry.objects.filter(organization=organization, account_enabled=True)
    stored = entries.filter(mail__in=wanted).values_list("mail", flat=True)
    by_upn = entries.filter(mail="", user_principal_name__in=wanted).values_list("user_principal_name", flat=True)
    return {a.lower() for a in stored.union(by_upn)}


def _looked_up(entry: DirectoryEntry, client: GraphClient | None) -> str:
    if client is None:
        return entry.user_principal_name
    try:
        user = client.get_user(entry.object_id)
    except errors.NotFound:
        return ""  # gone from the directory: the next sync takes their access away
    if user.account_enabled is False:
        return ""
    entry.mail = user.address.lower()
    entry.save(update_fields=["mail"])
    return entry.mail
