"""Which members Overlap can reach: the check behind the security-group scoping section.

Each member's own mailbox is asked for a short free/busy window with the app-only token; this is
exactly what an application access policy (or RBAC for Applications) allows or refuses. The check runs
in batches of `BATCH` people (20 mailboxes to a Graph $batch, every call through the shared mailbox
limiter), stores one `MailboxReach` row per person and moves the connection's progress after each batch,
so the settings page can say how far it got and a page or a search reads only the people it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from accounts.models import Membership, Organization
from integrations.connection.clients import organization_client
from integrations.connection.lookup import connection_rows
from integrations.connection.problems import connection_report_error, refuses_the_tenant
from integrations.directory.mailboxes import NO_RECORD, Mailbox, directory_mailboxes
from integrations.microsoft import errors
from integrations.microsoft.client import GraphClient
from integrations.microsoft.types import Schedule
from integrations.models import MailboxReach

BATCH = 200
_WINDOW = timedelta(hours=1)
REACHABLE = "Overlap can read free/busy and book for this person."


@dataclass(frozen=True)
class ReachSummary:
    checked: int = 0
    reachable: int = 0
    stopped: bool = False  # the tenant refused Overlap: the connection says why


def reach_check(*, organization: Organization) -> ReachSummary:
    """Try every active member's mailbox, batch after batch, and store what each answered.

    Runs as a task (`reach.tasks.check_reach`). Raises `ConnectionNotReady` when the connection is not active.
    """
    client = organization_client(organization=organization)
    started = timezone.now()
    people = Membership.objects.filter(organization=organization, is_active=True)
    connection_rows(organization=organization).update(
        reach_total=people.count(), reach_done=0, reach_progress_at=started
    )
    checked = reachable = 0
    after = 0
    while True:
        batch = list(people.filter(pk__gt=after).select_related("user").order_by("pk")[:BATCH])
        if not batch:
            break
        try:
            found = _check(client, batch, organization)
        except errors.MicrosoftError as error:  # the whole tenant refuses: no more calls, the connection says why
            connection_report_error(organization=organization, error=error)
            reach_abandoned(organization=organization)
            return ReachSummary(checked, reachable, stopped=True)
        checked, reachable, after = checked + len(batch), reachable + found, batch[-1].pk
    MailboxReach.objects.filter(organization=organization, checked_at__lt=started).delete()  # left or deactivated
    connection_rows(organization=organization).update(reach_checked_at=timezone.now())
    return ReachSummary(checked, reachable)


def reach_abandoned(*, organization: Organization) -> None:
    """The check could not run (the connection stopped meanwhile): the page stops saying "checking…"."""
    connection_rows(organization=organization).update(reach_requested_at=None)


def _check(client: GraphClient, batch: list[Membership], organization: Organization) -> int:
    """One batch: ask, store a row per person, move the progress; how many were reachable."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    # Each mailbox named by its object id and asked about at its directory address, never at User.email.
    found = directory_mailboxes(organization=organization, membership_ids=[m.pk for m in batch], lookup=lambda: client)
    wanted = {mailbox.object_id: mailbox.address for mailbox in found.values()}
    answers = client.own_schedules(wanted, start, start + _WINDOW) if wanted else {}
    now = timezone.now()
    rows = [_row(organization, m, _answer(found, answers, m), now) for m in batch]
    MailboxReach.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["membership"],
        update_fields=["reachable", "reason", "checked_at"],
    )
    connection_rows(organization=organization).update(reach_done=F("reach_done") + len(batch), reach_progress_at=now)
    return sum(row.reachable for row in rows)


def _answer(found: dict[int, Mailbox], answers: dict[str, Schedule | errors.MicrosoftError], m: Membership) -> object:
    mailbox = found.get(m.pk)
    return answers[mailbox.object_id] if mailbox else None


def _row(organization: Organization, membership: Membership, answer: object, now: datetime) -> MailboxReach:
    reachable, reason = _verdict(answer)
    return MailboxReach(
        organization=organization, membership=membership, reachable=reachable, reason=reason[:300], checked_at=now
    )


def _verdict(answer: object) -> tuple[bool, str]:
    if answer is None:
        return False, f"{NO_RECORD[0].upper()}{NO_RECORD[1:]}."
    if isinstance(answer, errors.AccessDenied):
        why = "Outside the security group: the application access policy keeps Overlap out."
        return False, why if answer.by_policy else f"Access denied: {answer.message}"
    if isinstance(answer, errors.NotFound):
        return False, "No mailbox with this address in your tenant."
    if isinstance(answer, errors.MicrosoftError):
        if refuses_the_tenant(answer):
            raise answer
        return False, f"Microsoft answered: {answer.message}"
    if isinstance(answer, Schedule) and answer.error:
        return False, f"Microsoft answered: {answer.error.message}"
    return True, REACHABLE
