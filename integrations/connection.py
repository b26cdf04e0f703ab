"""The one way into Microsoft for an organization: its configuration, its usable tenant, its Graph clients.

A leaf of the integration: it imports the models and `integrations.microsoft`, and every other module
of the integration (services, members, tasks, the reach check, the calendars facade) builds on it.
A disconnect or a revoked consent stops every call because every client is built here, after
`usable_tenant` said yes.
"""

from __future__ import annotations

from accounts import services as accounts
from accounts.models import Membership, Organization, User
from integrations.explain import explain_error
from integrations.microsoft import errors
from integrations.microsoft.auth import MemberTokens
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.models import CalendarGrant, Connection, DirectoryEntry, IntegrationEvent


class ConnectionNotReady(Exception):
    """The organization's connection cannot be used now (not configured, revoked, disconnected)."""


def microsoft_config() -> MicrosoftConfig:
    """Overlap's app registration and Microsoft's URLs, read from the settings (the only place that does)."""
    return MicrosoftConfig.from_settings()


def audit(*, organization: Organization, actor: User | None, kind: str, detail: str = "") -> IntegrationEvent:
    """One line of the integration log an organization's admins read."""
    return IntegrationEvent.objects.create(organization=organization, actor=actor, kind=kind, detail=detail[:500])


def usable_tenant(*, organization: Organization) -> str:
    """The confirmed tenant GUID for calls to Graph; raises `ConnectionNotReady` unless the connection is active."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.is_active or not connection.tenant_guid:
        raise ConnectionNotReady("Microsoft 365 is not connected for this organization.")
    return connection.tenant_guid


def organization_client(*, organization: Organization) -> GraphClient:
    """Graph with the tenant's app-only token (domain-wide); raises `ConnectionNotReady` unless active."""
    return tenant_client(tenant=usable_tenant(organization=organization))


def tenant_client(*, tenant: str) -> GraphClient:
    """Graph with a tenant's app-only token, before its connection is active: only for the connection's checks."""
    return GraphClient.for_tenant(microsoft_config(), tenant)


def member_client(*, membership: Membership) -> GraphClient:
    """Graph acting as the member (individual mode), over their stored grant.

    Raises `ConnectionNotReady` when the organization is not connected and `ReauthenticationRequired`
    when the member has no working grant. A rotated token cache is stored at once; a grant Microsoft
    refuses on the way puts the member in "reconnect needed".
    """
    tenant = usable_tenant(organization=membership.organization)
    grant = CalendarGrant.objects.filter(membership=membership, status=CalendarGrant.Status.CONNECTED).first()
    if grant is None:
        raise errors.ReauthenticationRequired("Connect your calendar first.", code="not_connected")
    config = microsoft_config()

    def save(blob: str) -> None:  # the refresh token rotates: the new cache must outlive this client
        CalendarGrant.objects.filter(pk=grant.pk).update(token_cache=blob)

    def refused(error: errors.ReauthenticationRequired) -> None:
        grant.mark_reconnect_needed(reason=error.message)
        if isinstance(error, errors.PersonGone):
            person_left_directory(membership=membership)

    tokens = MemberTokens(config, tenant, grant.token_cache, grant.account_oid, save=save, refused=refused)
    return GraphClient.for_member(config, tenant, tokens)


def person_left_directory(*, membership: Membership) -> None:
    """Entra ID disabled or deleted this person: they lose access (unless they are the last active admin, as in
    the directory sync) and every session of theirs ends now, not at the next sync."""
    DirectoryEntry.objects.filter(membership=membership).update(account_enabled=False)
    if not membership.is_admin or accounts.active_admin_count(organization=membership.organization) > 1:
        accounts.memberships_set_active(ids=[membership.pk], is_active=False)
    accounts.memberships_sign_out(ids=[membership.pk])


def refuses_the_tenant(error: errors.MicrosoftError) -> bool:
    """A permanent refusal of the whole connection (consent revoked, app removed, tenant gone), not of one mailbox."""
    return isinstance(error, errors.TenantNotFound | errors.ConsentMissing | errors.ClientConfigurationError)


def connection_report_error(*, organization: Organization, error: errors.MicrosoftError) -> Connection | None:
    """What any caller does when Microsoft refuses the organization's connection (not one mailbox).

    Consent gone → revoked; anything else → needs attention, with the fix, on the settings page. A
    connection that is not in use (never connected, disconnected) is left as it is.
    """
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.in_use:
        return connection
    problem = explain_error(error)
    if problem.revoked:
        connection.mark_revoked(code=problem.code, message=problem.message, fix=problem.fix)
    else:
        connection.mark_problem(code=problem.code, message=problem.message, fix=problem.fix)
    return connection
