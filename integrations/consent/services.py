"""Admin consent: the admin proves the tenant by signing in, Microsoft asks for consent, Overlap verifies it.

Who may grant it (`consent_role_check`), the tenant held for the organization meanwhile (`tenant_bind`, let
go by `binding`), the redirect to Microsoft (`consent_prove`) and the callback (`consent_complete`), which
trusts nothing Microsoft's redirect says until a fresh token and a harmless call worked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from integrations.connection.clients import ConnectionNotReady, microsoft_config
from integrations.connection.explain import Explanation, explain_consent_error, explain_error
from integrations.connection.health import probe_problem
from integrations.connection.log import audit
from integrations.connection.lookup import connection_for, connection_or_new, connection_rows
from integrations.connection.problems import record_problem
from integrations.consent import binding
from integrations.directory.queue import directory_sync_enqueue
from integrations.directory.rooms_access import rooms_permission_check
from integrations.microsoft import auth, errors
from integrations.microsoft.oidc import WHO_CAN_CONSENT, VerifiedSignIn
from integrations.models import Connection, IntegrationEvent
from integrations.state import issue_state

CONSENT_PURPOSE = "admin-consent"
ROOMS_PERMISSIONS = ("Place.Read.All",)


@dataclass(frozen=True)
class ConsentOutcome:
    connected: bool
    explanation: Explanation | None = None


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
    connection = connection_for(organization=organization)
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
    connection = connection_rows(organization=organization).get()
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
    extra = ROOMS_PERMISSIONS if connection.rooms_enabled else ()  # rooms on: this consent names their permission
    return auth.admin_consent_url(config, tenant=expected, redirect_uri=redirect_uri, state=state, extra=extra)


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
    connection = connection_or_new(organization=organization)
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
    problem = probe_problem(tenant_guid)
    if problem is not None and not connection.in_use:  # never worked: still waiting for a consent that works
        return _consent_failed(connection, actor=actor, explanation=problem)
    connection.tenant_guid = tenant_guid
    connection.last_checked_at = timezone.now()
    if problem is not None:
        record_problem(connection, problem)
        return _consent_failed(connection, actor=actor, explanation=problem)
    connection.consented_at = timezone.now()
    connection.consented_by = actor
    connection.mark_active(actor=actor, detail=f"tenant {tenant_guid}, {connection.get_mode_display()}")
    if connection.mode == Connection.Mode.DOMAIN_WIDE:
        directory_sync_enqueue(connection.organization)
    rooms_permission_check(connection=connection)  # rooms on: this consent may be the one that granted them
    return ConsentOutcome(connected=True)
