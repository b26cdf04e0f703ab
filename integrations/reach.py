"""Which members Overlap can reach: the check behind the security-group scoping section.

Each member's own mailbox is asked for a short free/busy window with the app-only token; this is
exactly what an application access policy (or RBAC for Applications) allows or refuses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership, Organization
from integrations.connection import connection_report_error, organization_client, refuses_the_tenant
from integrations.microsoft import errors
from integrations.microsoft.client import GraphClient
from integrations.models import Connection

_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Reach:
    name: str
    email: str
    reachable: bool
    reason: str


def reach_check(*, organization: Organization) -> list[Reach]:
    """Try every active member's mailbox and store the report on the connection for the settings page.

    Runs as a task (`tasks.check_reach`): one Graph call per person. Raises `ConnectionNotReady` when
    the connection is not active.
    """
    client = organization_client(organization=organization)
    people = Membership.objects.filter(organization=organization, is_active=True).select_related("user")
    report = []
    for membership in people.order_by("user__name", "user__email"):
        try:
            report.append(_try(client, membership))
        except errors.MicrosoftError as error:  # the whole tenant refuses: no more calls, the connection says why
            connection_report_error(organization=organization, error=error)
            reach_abandoned(organization=organization)
            return report
    Connection.objects.filter(organization=organization).update(
        reach_checked_at=timezone.now(), reach_report=[asdict(row) for row in report]
    )
    return report


def reach_abandoned(*, organization: Organization) -> None:
    """The check could not run (the connection stopped meanwhile): the page stops saying "checking…"."""
    Connection.objects.filter(organization=organization).update(reach_requested_at=None)


def _try(client: GraphClient, membership: Membership) -> Reach:
    user = membership.user
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    try:
        schedule = client.get_schedules(user.email, [user.email], start, start + _WINDOW, interval_minutes=60)
    except errors.AccessDenied as error:
        why = "Outside the security group: the application access policy keeps Overlap out."
        return Reach(str(user), user.email, False, why if error.by_policy else f"Access denied: {error.message}")
    except errors.NotFound:
        return Reach(str(user), user.email, False, "No mailbox with this address in your tenant.")
    except errors.MicrosoftError as error:
        if refuses_the_tenant(error):
            raise
        return Reach(str(user), user.email, False, f"Microsoft answered: {error.message}")
    found = schedule[user.email]
    if found.error:
        return Reach(str(user), user.email, False, f"Microsoft answered: {found.error.message}")
    return Reach(str(user), user.email, True, "Overlap can read free/busy and book for this person.")
