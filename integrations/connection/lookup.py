"""The one way to find an organization's connection; every module of the integration asks here.

An organization has at most one `Connection` (a one-to-one field). Callers that only read ask
`connection_for` (None when there is none); pages that show a connection before there is one ask
`connection_or_blank`; writes that create it on first use ask `connection_or_new`; a write of a few
fields without a read (progress counters, the sync's summary) goes through `connection_rows`.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organization
from integrations.models import Connection


def connection_rows(*, organization: Organization) -> QuerySet[Connection]:
    """The organization's connection as a query (at most one row), for an `update()` without a read."""
    return Connection.objects.filter(organization=organization)


def connection_for(*, organization: Organization) -> Connection | None:
    """The organization's connection, or None when it never configured one."""
    return connection_rows(organization=organization).first()


def connection_or_new(*, organization: Organization) -> Connection:
    """The organization's connection, created (not configured) on first use."""
    connection, _ = Connection.objects.get_or_create(organization=organization)
    return connection


def connection_or_blank(*, organization: Organization) -> Connection:
    """The organization's connection; one that never configured one gets a fresh, unsaved one (for pages)."""
    found = connection_rows(organization=organization).select_related("consented_by").first()
    return found or Connection(organization=organization)
