"""Whether an organization's Microsoft 365 connection still works: the probe, and the periodic check.

A fresh app-only token and one harmless call (`probe`): the consent's last step, the admin's "Test" and
the periodic check all ask it. The periodic check runs it for each connection in use; the first permanent
refusal marks the connection (once: staying revoked is not a new move), and from then on every caller is
stopped by `clients.usable_tenant`; each later check costs at most one token request, which is how Overlap
notices that an admin granted consent again.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization
from integrations.connection.answering import microsoft_did_not_answer
from integrations.connection.clients import microsoft_config, tenant_client
from integrations.connection.explain import Explanation, explain_error
from integrations.connection.lookup import connection_for
from integrations.connection.problems import record_problem
from integrations.microsoft import auth, errors
from integrations.models import Connection


def probe(tenant_guid: str) -> errors.MicrosoftError | None:
    """Get a fresh app-only token and make one harmless call; what Microsoft refused, or None."""
    auth.forget_tenant(microsoft_config(), tenant_guid)  # a cached token would prove nothing
    try:
        tenant_client(tenant=tenant_guid).probe()
    except errors.MicrosoftError as error:
        return error
    return None


def probe_problem(tenant_guid: str) -> Explanation | None:
    """`probe`, in plain words for the admin."""
    error = probe(tenant_guid)
    return None if error is None else explain_error(error)


def connection_check(*, organization: Organization) -> Connection | None:
    """Check one connection now and record what was found; None when the organization has none."""
    connection = connection_for(organization=organization)
    if connection is None or not connection.tenant_guid or not connection.in_use:
        return connection
    error = probe(connection.tenant_guid)
    connection.last_checked_at = timezone.now()
    if error is not None:
        microsoft_did_not_answer(organization=organization, error=error)
        record_problem(connection, explain_error(error))
        return connection
    connection.mark_active(actor=None, detail="the periodic check passed")
    return connection


def connections_in_use() -> list[int]:
    """The organizations whose connection worked once and was not disconnected."""
    in_use = (Connection.Status.ACTIVE, Connection.Status.NEEDS_ATTENTION, Connection.Status.REVOKED)
    return list(
        Connection.objects.exclude(tenant_guid="").filter(status__in=in_use).values_list("organization_id", flat=True)
    )
