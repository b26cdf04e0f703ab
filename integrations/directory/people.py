"""The people page's reads: an organization's members, one page at a time, with what Microsoft says of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from accounts.models import Membership, Organization
from accounts.search import memberships_matching
from integrations.models import CalendarGrant, MailboxReach

PER_PAGE = 50


@dataclass(frozen=True)
class PersonRow:
    membership: Membership
    calendar: str  # individual mode: the person's own calendar connection
    calendar_badge: str
    reachable: bool | None  # domain-wide mode: from the last reach check; None when it did not cover them
    reach_reason: str


def people_matching(*, organization: Organization, query: str, unreachable: bool = False) -> QuerySet[Membership]:
    """Everyone in the organization, active or not, whose name or address contains `query` (and whom the last
    reach check could not reach, with `unreachable`)."""
    people = Membership.objects.filter(organization=organization).select_related(
        "user", "calendar_grant", "mailbox_reach"
    )
    if query:
        people = memberships_matching(people, query)
    if unreachable:
        people = people.filter(mailbox_reach__reachable=False)
    return people.order_by("-is_active", "user__name", "user__email", "pk")


def people_page(
    *, organization: Organization, query: str, number: str | None, unreachable: bool = False
) -> Page[Membership]:
    """One page of `people_matching`; its `rows` carry each person's calendar or reach.

    Three queries whatever the organization's size: the count, the page (with each person's grant and reach
    joined), and nothing per person.
    """
    people = people_matching(organization=organization, query=query, unreachable=unreachable)
    page = Paginator(people, PER_PAGE).get_page(number)
    page.rows = [_row(membership) for membership in page.object_list]  # type: ignore[attr-defined]
    return page


def _row(membership: Membership) -> PersonRow:
    grant = getattr(membership, "calendar_grant", None)
    status = grant.status if grant else CalendarGrant.Status.DISCONNECTED
    badge = {CalendarGrant.Status.CONNECTED: "ok", CalendarGrant.Status.RECONNECT_NEEDED: "bad"}.get(status, "warn")
    checked: MailboxReach | None = getattr(membership, "mailbox_reach", None)
    return PersonRow(
        membership=membership,
        calendar=str(CalendarGrant.Status(status).label),
        calendar_badge=badge,
        reachable=checked.reachable if checked else None,
        reach_reason=checked.reason if checked else "",
    )
