"""Reads of the last reach check, for the settings page, the people page and the operators' health page."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Organization
from integrations.models import MailboxReach


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
