"""Writes on an organization's Microsoft connection: configure, consent, test, scope, disconnect.

Every change that an admin makes, or that Microsoft makes to the connection, lands in the audit log.
Views call these; these call `integrations.microsoft`; nothing else talks to Microsoft.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from integrations import binding, members, tasks
from integrations.connection import (
    ConnectionNotReady,
    audit,
    microsoft_config,
    tenant_client,
    usable_tenant,
)
from integrations.explain import Explanation, explain_consent_error, explain_error
from integrations.microsoft import auth, errors
from integrations.microsoft.oidc import WHO_CAN_CONSENT, VerifiedSignIn
from integrations.models import Connection, IntegrationEvent, MailboxReach
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
        if tenant != connection.tenant:
            _change_tenant(connection, actor=actor, tenant=tenant)
        connection.save()
    if connection.is_active and connection.mode == Connection.Mode.DOMAIN_WIDE:
        _enqueue_directory_sync(organization)
    return connection


DISCONNECT_CONSEQUENCES = [
    "Overlap stops every call to your Microsoft 365 tenant at once: no free/busy, no new meetings, no directory "
    "synchronisation.",
    "It forgets the tenant's tokens and every member's calendar connection; people keep their Overlap accounts and "
    "the meetings already in their calendars.",
    "Your tenant is no longer bound to this organization; reconnecting means signing in at Microsoft as a tenant "
    "admin and granting consent again.",
    "The consent stays at Microsoft until you delete Overlap under Enterprise applications in the Entra admin center.",
]


@dataclass(frozen=True)
class ConnectionChange:
    """What saving a tenant and mode would do, for the confirmation page and the message afterwards."""

    consequences: list[str]
    title: str = ""
    button: str = ""
    done: str = "Saved. Next: grant admin consent at Microsoft."


def connection_change(*, organization: Organization, tenant: str, mode: str) -> ConnectionChange:
    """What changes if the admin saves this; consequences only when a working connection would be affected."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or connection.consented_at is None or connection.status == Connection.Status.NOT_CONFIGURED:
        return ConnectionChange([])
    if tenant != connection.tenant:
        return ConnectionChange(
            [
                f"Overlap stops using your current tenant ({connection.tenant}) at once and forgets its tokens and "
                "every member's calendar connection.",
                "Nobody can book until an admin of the new tenant signs in at Microsoft and grants consent.",
                "People and their bookings stay; a later synchronisation with the new tenant never takes access from "
                "more than half of them without asking you.",
            ],
            title=f"Change the tenant to {tenant}?",
            button="Change the tenant",
        )
    if mode != connection.mode and connection.is_active:
        return _mode_change(mode)
    return ConnectionChange([], done="Saved. Nothing else changed.")


def _mode_change(mode: str) -> ConnectionChange:
    label = Connection.Mode(mode).label
    if mode == Connection.Mode.DELEGATED:
        lines = [
            "Overlap stops using the tenant-wide access for booking: each person must connect their own calendar "
            "before they can book.",
            "The directory is no longer synchronised; people who sign in with Microsoft join as they come.",
        ]
    else:
        lines = [
            "Overlap books with the tenant-wide access; nobody needs to connect a calendar.",
            "It brings in your directory now and every hour: new people join, people disabled there lose access.",
        ]
    return ConnectionChange(
        [*lines, "The consent covers both modes: no new consent is needed."],
        title=f"Switch to {label.lower()} mode?",
        button=f"Switch to {label.lower()}",
        done=f"Switched to {label.lower()} mode. The connection stays active; no new consent is needed.",
    )


def _change_tenant(connection: Connection, *, actor: User, tenant: str) -> None:
    old = connection.tenant
    if connection.tenant_guid:
        auth.forget_tenant(microsoft_config(), connection.tenant_guid)
    connection.tenant = tenant
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


class ConsentRefused(Exception):
    """The admin's sign-in did not prove they may connect this tenant; the message says why and what to do."""


class RoleMissing(ConsentRefused):
    """The person signed in with an account of the tenant that cannot grant Overlap's permissions: someone
    else must, and the page gives them a link to hand on."""


TENANT_TAKEN = (
    "This Microsoft 365 tenant is already connected to another organization in Overlap, so it cannot be connected "
    "here. If your colleagues already use Overlap, ask one of their admins to invite you."
)
NO_ROLES_CLAIM = (
    "Microsoft did not say which admin roles you hold, so Overlap cannot tell whether you may grant consent. "
    "Overlap's app registration must send directory roles in its tokens: in the Entra admin center, open App "
    "registrations → Overlap → Token configuration → Add groups claim, and tick “Directory roles” (this sets "
    "groupMembershipClaims). Then try again."
)


def consent_tenant(*, organization: Organization) -> str:
    """The tenant the admin typed, where they must sign in before consenting; raises `ConnectionNotReady`."""
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or not connection.tenant:
        raise ConnectionNotReady("Enter your tenant ID first.")
    return connection.tenant


def consent_prove(
    *, organization: Organization, actor: User, identity: VerifiedSignIn, session: SessionBase, redirect_uri: str
) -> str:
    """Step two: the verified sign-in must be an admin of the typed tenant, free for this organization.

    Binds the tenant to the organization and returns Microsoft's admin-consent URL, with a state that names
    the proven tenant. Raises `ConsentRefused` with the reason; nothing changes then.
    """
    connection = Connection.objects.get(organization=organization)
    expected = typed_tenant_guid(connection)
    if identity.tid != expected:
        raise ConsentRefused(
            f"You signed in at Microsoft as {identity.username or 'an account'} of another tenant than "
            f"“{connection.tenant}”. Sign in with an admin account of that tenant, or correct the tenant ID."
        )
    tenant_bind(connection=connection, actor=actor, identity=identity)
    state = issue_state(
        session, purpose=CONSENT_PURPOSE, organization_code=organization.code, user_id=actor.pk, tenant=expected
    )
    config = microsoft_config()
    return auth.admin_consent_url(config, tenant=expected, redirect_uri=redirect_uri, state=state)


def consent_role_check(identity: VerifiedSignIn) -> None:
    """Raises `ConsentRefused` (`RoleMissing` for a role that cannot) unless this person may grant the consent.

    Overlap's consent names application permissions of Microsoft Graph (in either mode), which only a Global
    Administrator or a Privileged Role Administrator can grant.
    """
    if identity.wids is None:
        raise ConsentRefused(NO_ROLES_CLAIM)
    if not identity.consent_roles:
        raise RoleMissing(
            f"{identity.username or 'This account'} holds no Microsoft Entra role that can grant Overlap's "
            f"permissions. Only {WHO_CAN_CONSENT} of your organization can grant application permissions of "
            "Microsoft Graph, which Overlap needs; nothing was changed or held for your organization."
        )


def tenant_bind(*, connection: Connection, actor: User, identity: VerifiedSignIn) -> None:
    """Hold the proven tenant for the connection until consent works (`binding`); raises `ConsentRefused` for a
    role that cannot grant it or a tenant taken elsewhere. A stale hold by another organization is let go."""
    consent_role_check(identity)
    binding.stale_bindings_release(tenant=identity.tid)
    if Connection.objects.filter(tenant_guid=identity.tid).exclude(pk=connection.pk).exists():
        raise ConsentRefused(TENANT_TAKEN)
    if connection.tenant_guid == identity.tid:
        if connection.binding_pending:  # proven again: the day starts again
            connection.tenant_proven_at = timezone.now()
            connection.save(update_fields=["tenant_proven_at", "updated"])
        return
    try:
        with transaction.atomic():
            connection.tenant_guid = identity.tid
            connection.tenant_proven_at = timezone.now()
            connection.save(update_fields=["tenant_guid", "tenant_proven_at", "updated"])
    except IntegrityError:
        connection.tenant_guid = ""
        raise ConsentRefused(TENANT_TAKEN) from None
    audit(
        organization=connection.organization,
        actor=actor,
        kind=IntegrationEvent.Kind.TENANT_PROVEN,
        detail=f"Tenant {identity.tid}, by {identity.username} ({', '.join(identity.consent_roles)})",
    )


def typed_tenant_guid(connection: Connection) -> str:
    """The GUID of the tenant the admin typed; raises `ConsentRefused` when Microsoft does not know it."""
    try:
        return auth.tenant_id(microsoft_config(), connection.tenant).lower()
    except errors.MicrosoftError as error:
        raise ConsentRefused(f"{explain_error(error).message} Check the tenant ID.") from error


def consent_complete(
    *, organization: Organization, actor: User, params: Mapping[str, str], proven_tenant: str
) -> ConsentOutcome:
    """Finish the consent round trip (the state was already checked): verify, never trust, then connect.

    Microsoft's redirect says which tenant consented, but anybody can type that URL: what counts is the
    tenant the admin proved by signing in (carried in the signed state), which must still be the one bound
    to this organization. Then Overlap gets an app-only token and makes one harmless call there before it
    calls the connection active.
    """
    connection, _ = Connection.objects.get_or_create(organization=organization)
    if params.get("error"):
        explanation = explain_consent_error(
            params.get("error", ""), params.get("error_subcode", ""), params.get("error_description", "")
        )
        # No consent: the tenant was only held for it. Someone who can grant it may now start or connect.
        binding.binding_release(connection=connection, actor=actor, why=f"consent not given ({params['error']})")
        return _consent_failed(connection, actor=actor, explanation=explanation)
    returned = str(params.get("tenant", "")).strip().lower()
    if not proven_tenant or proven_tenant != connection.tenant_guid or returned != proven_tenant:
        mismatch = Explanation(
            "tenant_mismatch",
            "This consent does not match the tenant you signed in for, so Overlap ignored it.",
            "Click “Grant admin consent” again and finish it at Microsoft in one go.",
        )
        return _consent_failed(connection, actor=actor, explanation=mismatch)
    return _verify_and_activate(connection, actor=actor, tenant_guid=returned)


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


def access_group_problem(*, organization: Organization, group: str) -> str | None:
    """Why this address cannot be the security group, as far as Overlap may look (its permission reads users,
    not groups): a person's own address is refused. None when it is fine, or when Microsoft cannot be asked."""
    connection = Connection.objects.filter(organization=organization).first()
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
    connection, _ = Connection.objects.get_or_create(organization=organization)
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
    Connection.objects.filter(organization=organization).update(reach_requested_at=timezone.now())
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.check_reach.delay(organization_id))


def client_id() -> str:
    """Overlap's application (client) ID, which admins need for the access policy."""
    return microsoft_config().client_id


def directory_sync_soon(*, organization: Organization, confirmed: bool = False) -> None:
    """Queue a directory sync now (the admin's "Synchronise now"); only for an active domain-wide connection.

    `confirmed`: the admin agreed to the large deactivation an earlier sync held back.
    """
    usable_tenant(organization=organization)
    _enqueue_directory_sync(organization, confirmed=confirmed)


def _enqueue_directory_sync(organization: Organization, *, confirmed: bool = False) -> None:
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.sync_directory.delay(organization_id, confirmed))
