"""Reads of members' own calendar connections, for their page and their admins'."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, Organization
from integrations.models import CalendarGrant


def grant_of(*, membership: Membership) -> CalendarGrant | None:
    return CalendarGrant.objects.filter(membership=membership).first()


def members_to_reconnect(*, organization: Organization) -> QuerySet[CalendarGrant]:
    """Individual mode: the people whose calendar connection died and who must connect again."""
    return CalendarGrant.objects.filter(
        membership__organization=organization,
        membership__is_active=True,
        status=CalendarGrant.Status.RECONNECT_NEEDED,
    ).select_related("membership__user")


def connected_member_count(*, organization: Organization) -> int:
    return CalendarGrant.objects.filter(
        membership__organization=organization, membership__is_active=True, status=CalendarGrant.Status.CONNECTED
    ).count()
