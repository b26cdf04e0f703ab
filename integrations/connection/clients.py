"""The one factory for Graph clients: Overlap's configuration, the organization's usable tenant, its clients.

Every flow of the integration (consent, the directory sync, members' calendars, the reach check, the
calendars facade) gets its client here. A disconnect or a revoked consent stops every call because every
client is built here, after `usable_tenant` said yes.
"""

from __future__ import annotations

from accounts.models import Membership, Organization
from integrations.connection.lookup import connection_for
from integrations.connection.problems import person_left_directory
from integrations.microsoft import errors
from integrations.microsoft.auth import MemberTokens
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.models import CalendarGrant


class ConnectionNotReady(Exception):
    """The organization's connection cannot be used now (not configured, revoked, disconnected)."""


def microsoft_config() -> MicrosoftConfig:
    """Overlap's app registration and Microsoft's URLs, read from the settings (the only place that does)."""
    return MicrosoftConfig.from_settings()


def usable_tenant(*, organization: Organization) -> str:
    """The confirmed tenant GUID for calls to Graph; raises `ConnectionNotReady` unless the connection is active."""
    connection = connection_for(organization=organization)
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
