"""What Overlap does when Microsoft refuses: the one place a connection's problems are recorded.

Every caller that meets a refusal of the whole connection (the periodic check, the admin's test, a consent
that does not work, a sync or a reach check that Microsoft stops) records it through `record_problem`:
consent gone → revoked; anything else → needs attention, with the fix, on the settings page. How an error
is worded and whether it means "revoked" is `explain.explain_error`'s answer; which statuses may follow
which is `Connection`'s (`MOVES`, in `integrations.models`).
"""

from __future__ import annotations

from accounts import services as accounts
from accounts.models import Membership, Organization
from integrations.connection.explain import Explanation, explain_error
from integrations.connection.lookup import connection_for
from integrations.microsoft import errors
from integrations.models import Connection, DirectoryEntry


def record_problem(connection: Connection, problem: Explanation) -> None:
    """Record what went wrong on the connection: revoked when the consent is gone, else needs attention."""
    mark = connection.mark_revoked if problem.revoked else connection.mark_problem
    mark(code=problem.code, message=problem.message, fix=problem.fix)


def connection_report_error(*, organization: Organization, error: errors.MicrosoftError) -> Connection | None:
    """What any caller does when Microsoft refuses the organization's connection (not one mailbox).

    A connection that is not in use (never connected, disconnected) is left as it is.
    """
    connection = connection_for(organization=organization)
    if connection is None or not connection.in_use:
        return connection
    record_problem(connection, explain_error(error))
    return connection


def refuses_the_tenant(error: errors.MicrosoftError) -> bool:
    """A permanent refusal of the whole connection (consent revoked, app removed, tenant gone), not of one mailbox."""
    return isinstance(error, errors.TenantNotFound | errors.ConsentMissing | errors.ClientConfigurationError)


def person_left_directory(*, membership: Membership) -> None:
    """Entra ID disabled or deleted this person: they lose access (unless they are the last active admin, as in
    the directory sync) and every session of theirs ends now, not at the next sync."""
    DirectoryEntry.objects.filter(membership=membership).update(account_enabled=False)
    if not membership.is_admin or accounts.active_admin_count(organization=membership.organization) > 1:
        accounts.memberships_set_active(ids=[membership.pk], is_active=False)
    accounts.memberships_sign_out(ids=[membership.pk])
