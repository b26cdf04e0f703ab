"""Writes on an organization's Microsoft connection: configure, consent, test, scope, disconnect.

Every change that an admin makes, or that Microsoft makes to the connection, lands in the audit log.
Views call these; these call `integrations.microsoft`; nothing else talks to Microsoft.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from integrations.explain import Explanation, explain_consent_error, explain_error
from integrations.microsoft import auth, errors
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.models import Connection, IntegrationEvent
from integrations.state import issue_state

CONSENT_PURPOSE = "admin-consent"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"


class ConnectionNotReady(Exception):
    """The organization's connection cannot be used now (not configured, revoked, disconnected)."""


@dataclass(frozen=True)
class ConsentOutcome:
    connected: bool
    explanation: Explanation | None = None


def audit(*, organization: Organization, actor: User | None, kind: str, detail: str = "") -> IntegrationEvent:
    return IntegrationEvent.objects.create(organization=organization, actor=actor, kind=kind, detail=detail[:500])


def connection_configure(*, organization: Organization, actor: User, tenant: str, mode: str) -> Connection:
    """Save the tenant and the mode the admin chose.

    A new tenant throws away what was confirmed for the old one (tokens, consent), so the admin must
    grant consent again; a new mode keeps the consent, which covers both modes.
    """
    connection, _ = Connection.objects.get_or_create(organization=organization)
    with transaction.atomic():
        if tenant != organization.azure_tenant_id:
            _change_tenant(connection, actor=actor, tenant=tenant)
        if mode != connection.mode:
            audit(
                organization=organization,
                actor=actor,
                kind=IntegrationEvent.Kind.MODE_CHANGED,
                detail=f"{connection.get_mode_display()} → {Connection.Mode(mode).label}",
            )
            connection.mode = mode
        connection.save()
    if connection.is_active and connection.mode == Connection.Mode.DOMAIN_WIDE:
        _enqueue_directory_sync(organization)
    return connection


def _change_tenant(connection: Connection, *, actor: User, tenant: str) -> None:
    organization = connection.organization
    old = organization.azure_tenant_id
    if connection.tenant_guid:
        auth.forget_tenant(MicrosoftConfig.from_settings(), connection.tenant_guid)
    organization.azure_tenant_id = tenant
    organization.save(update_fields=["azure_tenant_id"])
    audit(
        organization=organization,
        actor=actor,
        kind=IntegrationEvent.Kind.TENANT_CHANGED,
        detail=f"{old or '(none)'} → {tenant}",
    )
    connection.status = Connection.Status.AWAITING_CONSENT
    connection.tenant_guid = ""
    connection.consented_at = None
    connection.consented_by = None
    _clear_error(connection)


def tenant_problem(*, tenant: str) -> str | None:
    """Why Microsoft would refuse this tenant outright (it does not exist), or None.

    Asked before saving, so that a typo is caught on Overlap's page rather than on Microsoft's error page;
    when Microsoft cannot be reached the tenant is accepted and the consent step will tell.
    """
    try:
        auth.tenant_id(MicrosoftConfig.from_settings(), tenant)
    except errors.TenantNotFound:
        return f"Microsoft does not know the tenant “{tenant}”. Check the spelling against the Entra admin center."
    except errors.MicrosoftError:
        return None
    return None


def consent_url(*, organization: Organization, actor: User, session: SessionBase, redirect_uri: str) -> str:
    """Where to send the admin to grant consent for the whole tenant, with a fresh single-use state."""
    if not organization.azure_tenant_id:
        raise ConnectionNotReady("Enter your tenant ID first.")
    state = issue_state(session, purpose=CONSENT_PURPOSE, organization_code=organization.code, user_id=actor.pk)
    config = MicrosoftConfig.from_settings()
    return auth.admin_consent_url(config, tenant=organization.azure_tenant_id, redirect_uri=redirect_uri, state=state)


def consent_complete(*, organization: Organization, actor: User, params: Mapping[str, str]) -> ConsentOutcome:
    """Finish the consent round trip (the state was already checked): verify, never trust, then connect.

    Microsoft's redirect says which tenant consented, but anybody can type that URL. So the tenant must
    be the one the admin entered, and Overlap gets an app-only token and makes one harmless call there
    before it calls the connection active.
    """
    connection, _ = Connection.objects.get_or_create(organization=organization)
    if params.get("error"):
        explanation = explain_consent_error(
            params.get("error", ""), params.get("error_subcode", ""), params.get("error_description", "")
        )
        return _consent_failed(connection, actor=actor, explanation=explanation)
    returned = str(params.get("tenant", "")).strip().lower()
    mismatch = _tenant_mismatch(organization, returned)
    if mismatch:
        return _consent_failed(connection, actor=actor, explanation=mismatch)
    return _verify_and_activate(connection, actor=actor, tenant_guid=returned)


def _tenant_mismatch(organization: Organization, returned: str) -> Explanation | None:
    entered = organization.azure_tenant_id.lower()
    try:
        confirmed = auth.tenant_id(MicrosoftConfig.from_settings(), entered)
    except errors.MicrosoftError as error:
        return explain_error(error)
    if returned and returned == confirmed.lower():
        return None
    return Explanation(
        "tenant_mismatch",
        f"Consent came back from a different tenant ({returned or 'none'}) than the one entered here ({entered}).",
        "Sign in at Microsoft with an admin account of the tenant entered above (or correct the tenant ID), "
        "then grant consent again.",
    )


def _consent_failed(connection: Connection, *, actor: User, explanation: Explanation) -> ConsentOutcome:
    audit(
        organization=connection.organization,
        actor=actor,
        kind=IntegrationEvent.Kind.CONSENT_FAILED,
        detail=f"{explanation.code}: {explanation.message}",
    )
    if connection.status == Connection.Status.NOT_CONFIGURED:
        connection.status = Connection.Status.AWAITING_CONSENT
        connection.save(update_fields=["status", "updated"])
    return ConsentOutcome(connected=False, explanation=explanation)


def _verify_and_activate(connection: Connection, *, actor: User, tenant_guid: str) -> ConsentOutcome:
    connection.tenant_guid = tenant_guid
    problem = _run_checks(connection)
    if problem:
        if connection.consented_at is None:  # never worked: still waiting for a consent that works
            connection.status = Connection.Status.AWAITING_CONSENT
            connection.tenant_guid = ""
        connection.save()
        return _consent_failed(connection, actor=actor, explanation=problem)
    connection.consented_at = timezone.now()
    connection.consented_by = actor
    connection.save()
    audit(
        organization=connection.organization,
        actor=actor,
        kind=IntegrationEvent.Kind.CONSENT_GRANTED,
        detail=f"Tenant {tenant_guid}, {connection.get_mode_display()}",
    )
    if connection.mode == Connection.Mode.DOMAIN_WIDE:
        _enqueue_directory_sync(connection.organization)
    return ConsentOutcome(connected=True)


def connection_test(*, organization: Organization, actor: User) -> Connection:
    """Run the connection's checks again and record what they found."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.tenant_guid:
        raise ConnectionNotReady("Grant admin consent first; there is nothing to test yet.")
    problem = _run_checks(connection)
    connection.save()
    verdict = f"{problem.code}: {problem.message}" if problem else "all checks passed"
    audit(organization=organization, actor=actor, kind=IntegrationEvent.Kind.CHECKED, detail=verdict)
    if problem and problem.revoked:
        audit(organization=organization, actor=None, kind=IntegrationEvent.Kind.CONSENT_REVOKED, detail=problem.message)
    return connection


def _run_checks(connection: Connection) -> Explanation | None:
    """Get an app-only token and make one harmless call; set the status from what happened."""
    connection.last_checked_at = timezone.now()
    config = MicrosoftConfig.from_settings()
    try:
        auth.forget_tenant(config, connection.tenant_guid)  # a cached token would prove nothing
        auth.app_token(config, connection.tenant_guid)
        _harmless_call(GraphClient.for_tenant(config, connection.tenant_guid))
    except errors.MicrosoftError as error:
        problem = explain_error(error)
        connection_record_problem(connection, problem)
        return problem
    connection.status = Connection.Status.ACTIVE
    _clear_error(connection)
    return None


def _harmless_call(client: GraphClient) -> None:
    """Read one directory entry: proves the token works at Graph and the permissions were granted."""
    client.transport.request("GET", "/users", params={"$top": "1", "$select": "id"})


def connection_report_error(*, organization: Organization, error: errors.MicrosoftError) -> Connection | None:
    """What the booking code calls when Microsoft refuses the organization's connection (not one mailbox).

    Consent gone → revoked (logged); anything else → needs attention, with the fix, on the settings page.
    """
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.tenant_guid:
        return connection
    problem = explain_error(error)
    connection_record_problem(connection, problem)
    connection.save()
    if problem.revoked:
        audit(organization=organization, actor=None, kind=IntegrationEvent.Kind.CONSENT_REVOKED, detail=problem.message)
    return connection


def connection_record_problem(connection: Connection, problem: Explanation) -> None:
    """Mark the connection as needing attention (or revoked, when consent is gone), with the fix."""
    connection.status = Connection.Status.REVOKED if problem.revoked else Connection.Status.NEEDS_ATTENTION
    connection.last_error_code = problem.code[:100]
    connection.last_error_message = problem.message
    connection.last_error_fix = problem.fix
    connection.last_error_at = timezone.now()


def _clear_error(connection: Connection) -> None:
    connection.last_error_code = ""
    connection.last_error_message = ""
    connection.last_error_fix = ""
    connection.last_error_at = None


def connection_disconnect(*, organization: Organization, actor: User) -> Connection:
    """Stop every call to Microsoft for this organization and forget its tokens (app-only and members')."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or connection.status == Connection.Status.NOT_CONFIGURED:
        raise ConnectionNotReady("Overlap is not connected to Microsoft 365; there is nothing to disconnect.")
    if connection.tenant_guid:
        auth.forget_tenant(MicrosoftConfig.from_settings(), connection.tenant_guid)
    from integrations.members import forget_member_grants  # members builds on this module

    forgotten = forget_member_grants(organization=organization)
    connection.status = Connection.Status.REVOKED
    connection.tenant_guid = ""
    _clear_error(connection)
    connection.last_error_message = f"Disconnected in Overlap by {actor}."
    connection.last_error_fix = "Grant admin consent again to reconnect."
    connection.last_error_at = timezone.now()
    connection.save()
    audit(
        organization=organization,
        actor=actor,
        kind=IntegrationEvent.Kind.DISCONNECTED,
        detail=f"Tokens forgotten; {forgotten} member calendar connection(s) removed.",
    )
    return connection


def connection_set_access_group(*, organization: Organization, actor: User, group: str) -> Connection:
    connection, _ = Connection.objects.get_or_create(organization=organization)
    if group != connection.access_group:
        audit(
            organization=organization,
            actor=actor,
            kind=IntegrationEvent.Kind.GROUP_CHANGED,
            detail=f"{connection.access_group or '(none)'} → {group or '(none)'}",
        )
        connection.access_group = group
        connection.reach_report = []
        connection.reach_checked_at = None
        connection.save()
    return connection


def usable_tenant(*, organization: Organization) -> str:
    """The confirmed tenant GUID for calls to Graph; raises `ConnectionNotReady` unless the connection is active.

    Everything that calls Microsoft for an organization goes through here, so that a disconnect or a
    revoked consent stops every call at once.
    """
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.is_active or not connection.tenant_guid:
        raise ConnectionNotReady("Microsoft 365 is not connected for this organization.")
    return connection.tenant_guid


def organization_graph_client(*, organization: Organization) -> GraphClient:
    """A Graph client with the tenant's app-only token (domain-wide), for the booking code.

    Raises `ConnectionNotReady` unless the connection is active; after a disconnect nothing can call.
    """
    return GraphClient.for_tenant(MicrosoftConfig.from_settings(), usable_tenant(organization=organization))


def client_id() -> str:
    """Overlap's application (client) ID, which admins need for the access policy."""
    return MicrosoftConfig.from_settings().client_id


def directory_sync_soon(*, organization: Organization) -> None:
    """Queue a directory sync now (the admin's "Synchronise now"); only for an active domain-wide connection."""
    usable_tenant(organization=organization)
    _enqueue_directory_sync(organization)


def _enqueue_directory_sync(organization: Organization) -> None:
    from integrations import tasks  # tasks import this module

    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.sync_directory.delay(organization_id))
