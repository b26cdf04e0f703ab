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
from integrations import members, tasks
from integrations.connection import (
    ConnectionNotReady,
    audit,
    microsoft_config,
    tenant_client,
    usable_tenant,
)
from integrations.explain import Explanation, explain_consent_error, explain_error
from integrations.microsoft import auth, errors
from integrations.models import Connection, IntegrationEvent
from integrations.state import issue_state

CONSENT_PURPOSE = "admin-consent"


@dataclass(frozen=True)
class ConsentOutcome:
    connected: bool
    explanation: Explanation | None = None


def connection_configure(*, organization: Organization, actor: User, tenant: str, mode: str) -> Connection:
    """Save the tenant and the mode the admin chose.

    A new tenant throws away what was confirmed for the old one (tokens, consent), so the admin must
    grant consent again; a new mode keeps the consent, which covers both modes.
    """
    connection, _ = Connection.objects.get_or_create(organization=organization)
    with transaction.atomic():
        if mode != connection.mode:
            audit(
                organization=organization,
                actor=actor,
                kind=IntegrationEvent.Kind.MODE_CHANGED,
                detail=f"{connection.get_mode_display()} → {Connection.Mode(mode).label}",
            )
            connection.mode = mode
        if tenant != organization.azure_tenant_id:
            _change_tenant(connection, actor=actor, tenant=tenant)
        connection.save()
    if connection.is_active and connection.mode == Connection.Mode.DOMAIN_WIDE:
        _enqueue_directory_sync(organization)
    return connection


def _change_tenant(connection: Connection, *, actor: User, tenant: str) -> None:
    organization = connection.organization
    old = organization.azure_tenant_id
    if connection.tenant_guid:
        auth.forget_tenant(microsoft_config(), connection.tenant_guid)
    organization.azure_tenant_id = tenant
    organization.save(update_fields=["azure_tenant_id"])
    connection.mark_awaiting_consent(
        actor=actor, why=IntegrationEvent.Kind.TENANT_CHANGED, detail=f"{old or '(none)'} → {tenant}"
    )


def tenant_problem(*, tenant: str) -> str | None:
    """Why Microsoft would refuse this tenant outright (it does not exist), or None.

    Asked before saving, so that a typo is caught on Overlap's page rather than on Microsoft's error page;
    when Microsoft cannot be reached the tenant is accepted and the consent step will tell.
    """
    try:
        auth.tenant_id(microsoft_config(), tenant)
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
    return auth.admin_consent_url(
        microsoft_config(), tenant=organization.azure_tenant_id, redirect_uri=redirect_uri, state=state
    )


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
        confirmed = auth.tenant_id(microsoft_config(), entered)
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
    why, detail = IntegrationEvent.Kind.CONSENT_FAILED, f"{explanation.code}: {explanation.message}"
    if connection.status == Connection.Status.NOT_CONFIGURED:
        connection.mark_awaiting_consent(actor=actor, why=why, detail=detail)
    else:
        audit(organization=connection.organization, actor=actor, kind=why, detail=detail)
    return ConsentOutcome(connected=False, explanation=explanation)


def _verify_and_activate(connection: Connection, *, actor: User, tenant_guid: str) -> ConsentOutcome:
    problem = _check(tenant_guid)
    if problem is not None and not connection.in_use:  # never worked: still waiting for a consent that works
        return _consent_failed(connection, actor=actor, explanation=problem)
    connection.tenant_guid = tenant_guid
    connection.last_checked_at = timezone.now()
    if problem is not None:
        _record(connection, problem)
        return _consent_failed(connection, actor=actor, explanation=problem)
    connection.consented_at = timezone.now()
    connection.consented_by = actor
    connection.mark_active(actor=actor, detail=f"tenant {tenant_guid}, {connection.get_mode_display()}")
    if connection.mode == Connection.Mode.DOMAIN_WIDE:
        _enqueue_directory_sync(connection.organization)
    return ConsentOutcome(connected=True)


def connection_test(*, organization: Organization, actor: User) -> Connection:
    """Run the connection's checks again and record what they found."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.tenant_guid or not connection.in_use:
        raise ConnectionNotReady("Grant admin consent first; there is nothing to test yet.")
    problem = _check(connection.tenant_guid)
    connection.last_checked_at = timezone.now()
    verdict = f"{problem.code}: {problem.message}" if problem else "all checks passed"
    audit(organization=organization, actor=actor, kind=IntegrationEvent.Kind.CHECKED, detail=verdict)
    if problem is None:
        connection.mark_active(actor=actor, detail="the test passed")
    else:
        _record(connection, problem)
    return connection


def _check(tenant_guid: str) -> Explanation | None:
    """Get a fresh app-only token and make one harmless call; what went wrong, or None."""
    auth.forget_tenant(microsoft_config(), tenant_guid)  # a cached token would prove nothing
    try:
        tenant_client(tenant=tenant_guid).probe()
    except errors.MicrosoftError as error:
        return explain_error(error)
    return None


def _record(connection: Connection, problem: Explanation) -> None:
    if problem.revoked:
        connection.mark_revoked(code=problem.code, message=problem.message, fix=problem.fix)
    else:
        connection.mark_problem(code=problem.code, message=problem.message, fix=problem.fix)


def connection_disconnect(*, organization: Organization, actor: User) -> Connection:
    """Stop every call to Microsoft for this organization and forget its tokens (app-only and members')."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or connection.status in (Connection.Status.NOT_CONFIGURED, Connection.Status.DISCONNECTED):
        raise ConnectionNotReady("Overlap is not connected to Microsoft 365; there is nothing to disconnect.")
    if connection.tenant_guid:
        auth.forget_tenant(microsoft_config(), connection.tenant_guid)
    with transaction.atomic():
        forgotten = members.forget_member_grants(organization=organization)
        connection.mark_disconnected(
            actor=actor, detail=f"tokens forgotten; {forgotten} member calendar connection(s) removed"
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
        connection.reach_requested_at = None
        connection.reach_checked_at = None
        connection.save()
    return connection


def reach_check_soon(*, organization: Organization) -> None:
    """Queue the check of who Overlap can reach (one call per person: too slow for a web request).

    Only for an active connection; the settings page says "checking…" until the report is stored.
    """
    usable_tenant(organization=organization)
    Connection.objects.filter(organization=organization).update(reach_requested_at=timezone.now())
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.check_reach.delay(organization_id))


def client_id() -> str:
    """Overlap's application (client) ID, which admins need for the access policy."""
    return microsoft_config().client_id


def directory_sync_soon(*, organization: Organization) -> None:
    """Queue a directory sync now (the admin's "Synchronise now"); only for an active domain-wide connection."""
    usable_tenant(organization=organization)
    _enqueue_directory_sync(organization)


def _enqueue_directory_sync(organization: Organization) -> None:
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.sync_directory.delay(organization_id))
