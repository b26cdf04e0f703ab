"""Reads for the integration pages and for the apps that use the connection."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Membership, Organization
from integrations.models import CalendarGrant, Connection, IntegrationEvent, MailboxReach


def connection_of(*, organization: Organization) -> Connection:
    """The organization's connection; an organization that never configured one gets a fresh, unsaved one."""
    try:
        return Connection.objects.select_related("consented_by").get(organization=organization)
    except Connection.DoesNotExist:
        return Connection(organization=organization)


def audit_log(*, organization: Organization) -> QuerySet[IntegrationEvent]:
    """The organization's integration log, newest first."""
    return IntegrationEvent.objects.filter(organization=organization).select_related("actor")


def last_disconnect(*, organization: Organization) -> IntegrationEvent | None:
    """Who disconnected the organization, and when (shown while the connection stays disconnected)."""
    return audit_log(organization=organization).filter(kind=IntegrationEvent.Kind.DISCONNECTED).first()


def grant_of(*, membership: Membership) -> CalendarGrant | None:
    return CalendarGrant.objects.filter(membership=membership).first()


def members_to_reconnect(*, organization: Organization) -> QuerySet[CalendarGrant]:
    """Delegated mode: the people whose calendar connection died and who must connect again."""
    return CalendarGrant.objects.filter(
        membership__organization=organization,
        membership__is_active=True,
        status=CalendarGrant.Status.RECONNECT_NEEDED,
    ).select_related("membership__user")


def connected_member_count(*, organization: Organization) -> int:
    return CalendarGrant.objects.filter(
        membership__organization=organization, membership__is_active=True, status=CalendarGrant.Status.CONNECTED
    ).count()


def reach_counts(*, organization: Organization) -> dict[str, int]:
    """How many people the last reach check found reachable and not (one pass over the organization's rows)."""
    counts = MailboxReach.objects.filter(organization=organization).aggregate(
        yes=Count("pk", filter=Q(reachable=True)), no=Count("pk", filter=Q(reachable=False))
    )
    return {"reachable": counts["yes"] or 0, "unreachable": counts["no"] or 0}


def unreachable_people(*, organization: Organization) -> QuerySet[MailboxReach]:
    """The people whose mailbox the last reach check could not read or book in, with why."""
    return (
        MailboxReach.objects.filter(organization=organization, reachable=False, membership__is_active=True)
        .select_related("membership__user")
        .order_by("membership__user__email")
    )
