"""The admin's security group, and asking for the reach check (which runs as a task: one call per person)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from integrations.connection.clients import tenant_client, usable_tenant
from integrations.connection.log import audit
from integrations.connection.lookup import connection_for, connection_or_new, connection_rows
from integrations.microsoft import errors
from integrations.models import Connection, IntegrationEvent, MailboxReach
from integrations.reach import tasks


def access_group_problem(*, organization: Organization, group: str) -> str | None:
    """Why this address cannot be the security group, as far as Overlap may look (its permission reads users,
    not groups): a person's own address is refused. None when it is fine, or when Microsoft cannot be asked."""
    connection = connection_for(organization=organization)
    if not group or connection is None or not connection.is_active:
        return None
    try:
        person = tenant_client(tenant=connection.tenant_guid).get_user(group)
    except errors.MicrosoftError:
        return None  # not a user (a group gives 404 here), or Microsoft cannot tell now
    return (
        f"{group} is the address of a person in your directory ({person.display_name or person.user_principal_name}), "
        "not of a mail-enabled security group. Enter the group's own address, as shown in the Exchange admin center."
    )


def connection_set_access_group(*, organization: Organization, actor: User, group: str) -> Connection:
    connection = connection_or_new(organization=organization)
    if group != connection.access_group:
        audit(
            organization=organization,
            actor=actor,
            kind=IntegrationEvent.Kind.GROUP_CHANGED,
            detail=f"{connection.access_group or '(none)'} → {group or '(none)'}",
        )
        connection.access_group = group
        MailboxReach.objects.filter(organization=organization).delete()
        connection.reach_total = connection.reach_done = 0
        connection.reach_requested_at = None
        connection.reach_checked_at = None
        connection.save()
    return connection


def reach_check_soon(*, organization: Organization) -> None:
    """Queue the check of who Overlap can reach (one call per person: too slow for a web request).

    Only for an active connection; the settings page says "checking…" until the report is stored.
    """
    usable_tenant(organization=organization)
    connection_rows(organization=organization).update(reach_requested_at=timezone.now())
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.check_reach.delay(organization_id))
