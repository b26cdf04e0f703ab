"""Individual (delegated) mode: each member connects their own calendar, and can disconnect it.

The member's token cache is stored encrypted (the client hands it over encrypted). When Microsoft
refuses it (refresh token revoked or expired), the member is put in "reconnect needed", which both
they and their admins see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Membership, Organization, User
from integrations.connection.clients import ConnectionNotReady, member_client, microsoft_config, usable_tenant
from integrations.connection.log import audit
from integrations.microsoft import auth, errors
from integrations.models import CalendarGrant, DirectoryEntry, IntegrationEvent
from integrations.state import InvalidState

_FLOW_KEY = "integrations_member_flows"


@dataclass(frozen=True)
class MemberOutcome:
    membership: Membership | None
    connected: bool
    message: str


def member_connect_url(*, membership: Membership, session: SessionBase, redirect_uri: str) -> str:
    """Start the member's sign-in at Microsoft; the flow waits in their session for the callback."""
    tenant = usable_tenant(organization=membership.organization)
    flow = auth.start_delegated_sign_in(
        microsoft_config(), tenant=tenant, redirect_uri=redirect_uri, login_hint=membership.user.email
    )
    flows = dict(session.get(_FLOW_KEY, {}))
    flows[str(flow["state"])] = {"flow": flow, "membership": membership.pk, "user": membership.user_id}
    session[_FLOW_KEY] = dict(list(flows.items())[-5:])
    return str(flow["auth_uri"])


def pending_membership(*, session: SessionBase, user: User, state: str) -> tuple[Membership, dict[str, Any]]:
    """Use up the flow this state belongs to (single-use, this session, this person); raises `InvalidState`."""
    flows = dict(session.get(_FLOW_KEY, {}))
    pending = flows.pop(state, None)
    session[_FLOW_KEY] = flows
    if not pending or pending.get("user") != user.pk:
        raise InvalidState("This calendar connection link was already used, or was started in another browser.")
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(pk=pending["membership"], user=user, is_active=True)
        .first()
    )
    if membership is None:
        raise InvalidState("You are no longer a member of this organization.")
    return membership, dict(pending["flow"])


def member_connect_complete(
    *, membership: Membership, flow: dict[str, Any], params: Mapping[str, str]
) -> MemberOutcome:
    """Redeem the code, check that the account belongs to the organization's tenant, and store the grant."""
    if params.get("error"):
        return MemberOutcome(membership, False, _sign_in_error(params))
    try:
        tenant = usable_tenant(organization=membership.organization)
        grant = auth.finish_delegated_sign_in(microsoft_config(), tenant=tenant, flow=flow, params=dict(params))
    except (errors.MicrosoftError, ConnectionNotReady) as exc:
        return MemberOutcome(membership, False, f"Microsoft did not complete the sign-in ({exc}). Try again.")
    refusal = _not_own_account(membership, grant, tenant)
    if refusal:
        return MemberOutcome(membership, False, refusal)
    _store_grant(membership, grant)
    return MemberOutcome(membership, True, "Your calendar is connected. You can book meetings now.")


def _store_grant(membership: Membership, grant: Any) -> None:
    CalendarGrant.objects.update_or_create(
        membership=membership,
        defaults={
            "status": CalendarGrant.Status.CONNECTED,
            "token_cache": grant.cache_blob,
            "account_oid": grant.oid,
            "user_principal_name": grant.username or grant.email or "",
            "scopes": list(grant.scopes or []),
            "connected_at": timezone.now(),
            "last_error_message": "",
            "last_error_at": None,
        },
    )
    audit(
        organization=membership.organization,
        actor=membership.user,
        kind=IntegrationEvent.Kind.MEMBER_CONNECTED,
        detail=f"{membership.user.email} as {grant.username or grant.email}",
    )


def member_disconnect(*, membership: Membership) -> None:
    """Forget the member's tokens; Overlap stops acting for them until they connect again."""
    updated = (
        CalendarGrant.objects.filter(membership=membership)
        .exclude(status=CalendarGrant.Status.DISCONNECTED)
        .update(status=CalendarGrant.Status.DISCONNECTED, token_cache="", scopes=[], last_error_message="")
    )
    if updated:
        audit(
            organization=membership.organization,
            actor=membership.user,
            kind=IntegrationEvent.Kind.MEMBER_DISCONNECTED,
            detail=membership.user.email,
        )


def member_check(*, membership: Membership) -> CalendarGrant | None:
    """Refresh the member's token now and ask Microsoft who they are, so that a dead grant shows at once."""
    with contextlib.suppress(errors.MicrosoftError, ConnectionNotReady):
        member_client(membership=membership).probe(fresh_token=True)
    return CalendarGrant.objects.filter(membership=membership).first()


def forget_member_grants(*, organization: Organization) -> int:
    """On disconnect: every member's tokens go too."""
    return (
        CalendarGrant.objects.filter(membership__organization=organization)
        .exclude(status=CalendarGrant.Status.DISCONNECTED)
        .update(status=CalendarGrant.Status.DISCONNECTED, token_cache="", scopes=[])
    )


def _sign_in_error(params: Mapping[str, str]) -> str:
    description = params.get("error_description", "")
    if params.get("error") == "access_denied" or "65004" in description:
        return (
            "You did not accept at Microsoft, so your calendar is not connected. "
            "Click “Connect my calendar” to try again."
        )
    return f"Microsoft did not complete the sign-in ({description or params.get('error')}). Try again."


def _not_own_account(membership: Membership, grant: Any, tenant: str) -> str | None:
    """Why this sign-in is not the member's own Microsoft account, naming the account used; or None.

    The member's account is their directory entry's object id; a member without one (an invited password
    account) gets it linked here, unless it is already someone else's in Overlap.
    """
    used = grant.username or grant.email or "another account"
    if str(grant.tid).lower() != tenant.lower():
        return f"You signed in at Microsoft as {used}, an account of another organization. " + _USE_YOUR_OWN
    own = DirectoryEntry.objects.filter(membership=membership).first()
    if own is not None:
        return None if own.object_id == str(grant.oid).lower() else _someone_else(used)
    taken = DirectoryEntry.objects.filter(organization=membership.organization, object_id=str(grant.oid).lower())
    if taken.exists():
        return _someone_else(used)
    DirectoryEntry.objects.create(
        organization=membership.organization,
        membership=membership,
        object_id=str(grant.oid).lower(),
        user_principal_name=str(grant.username or "").lower(),
        synced_at=timezone.now(),
    )
    accounts.user_mark_microsoft(user=membership.user, tenant=tenant, object_id=str(grant.oid))
    return None


def _someone_else(used: str) -> str:
    return f"You signed in at Microsoft as {used}, which is not your account. Nothing was stored. " + _USE_YOUR_OWN


_USE_YOUR_OWN = "Click “Connect my calendar” again and sign in with your own work account."
