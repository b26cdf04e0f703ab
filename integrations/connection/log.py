"""The integration log an organization's admins read: every change an admin or Microsoft makes to the connection.

The connection's own moves are written by `Connection._move` (in `integrations.models`); everything else
(a tenant proven, a sync, a member connecting) through `audit` here.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organization, User
from integrations.models import IntegrationEvent


def audit(*, organization: Organization, actor: User | None, kind: str, detail: str = "") -> IntegrationEvent:
    """One line of the integration log an organization's admins read."""
    return IntegrationEvent.objects.create(organization=organization, actor=actor, kind=kind, detail=detail[:500])


def audit_log(*, organization: Organization) -> QuerySet[IntegrationEvent]:
    """The organization's integration log, newest first."""
    return IntegrationEvent.objects.filter(organization=organization).select_related("actor")


def last_disconnect(*, organization: Organization) -> IntegrationEvent | None:
    """Who disconnected the organization, and when (shown while the connection stays disconnected)."""
    return audit_log(organization=organization).filter(kind=IntegrationEvent.Kind.DISCONNECTED).first()
