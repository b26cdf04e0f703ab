"""The periodic connection check: is each organization's Microsoft 365 connection still usable?

A fresh app-only token and one harmless call per connection in use. The first permanent refusal marks
the connection (once: staying revoked is not a new move), and from then on every caller is stopped by
`connection.usable_tenant`; each later check costs at most one token request, which is how Overlap
notices that an admin granted consent again.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization
from integrations.answering import microsoft_did_not_answer
from integrations.connection import microsoft_config, tenant_client
from integrations.explain import explain_error
from integrations.microsoft import auth, errors
from integrations.models import Connection


def connection_check(*, organization: Organization) -> Connection | None:
    """Check one connection now and record what was found; None when the organization has none."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.tenant_guid or not connection.in_use:
        return connection
    auth.forget_tenant(microsoft_config(), connection.tenant_guid)  # a cached token would prove nothing
    connection.last_checked_at = timezone.now()
    try:
        tenant_client(tenant=connection.tenant_guid).probe()
    except errors.MicrosoftError as error:
        microsoft_did_not_answer(organization=organization, error=error)
        problem = explain_error(error)
        mark = connection.mark_revoked if problem.revoked else connection.mark_problem
        mark(code=problem.code, message=problem.message, fix=problem.fix)
        return connection
    connection.mark_active(actor=None, detail="the periodic check passed")
    return connection


def connections_in_use() -> list[int]:
    """The organizations whose connection worked once and was not disconnected."""
    in_use = (Connection.Status.ACTIVE, Connection.Status.NEEDS_ATTENTION, Connection.Status.REVOKED)
    return list(
        Connection.objects.exclude(tenant_guid="").filter(status__in=in_use).values_list("organization_id", flat=True)
    )
