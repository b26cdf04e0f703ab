"""Who a person is at Microsoft, and what Overlap does with it: sign in, start an organization, link an account.

A person is Microsoft's (tenant id, object id) from an ID token Overlap verified (`microsoft.oidc`); an
email address never finds, links or merges an account. The tenant finds the organization (a tenant is
bound to at most one), the object id finds the person in it through their directory entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Membership, Organization, User
from integrations.connection import audit, microsoft_config
from integrations.microsoft import oidc
from integrations.microsoft.oidc import VerifiedSignIn
from integrations.models import Connection, DirectoryEntry, IntegrationEvent
from integrations.services import TENANT_TAKEN, ConsentRefused, tenant_bind
from integrations.state import InvalidState

_FLOWS_KEY = "integrations_sign_in_flows"
_MAX_FLOWS = 5

NO_ORGANIZATION = (
    "Your organization does not use Overlap yet. A Microsoft 365 admin of your organization can start it with "
    "“Start with Microsoft 365”."
)
PASSWORD_ACCOUNT = (
    "An Overlap account with a password already uses the address {address}. Sign in with your password, then "
    "connect Microsoft from your profile."
)
STAFF_REFUSED = "Overlap's operator accounts cannot sign in with Microsoft. Sign in with your password."


class Purpose(StrEnum):
    SIGN_IN = "sign-in"  # anyone: who are you?
    START = "start"  # a tenant admin starts a new organization
    CONSENT = "consent"  # an organization's admin proves the tenant before admin consent
    LINK = "link"  # a signed-in password account connects their Microsoft account


class SignInRefused(Exception):
    """The verified account may not do what was asked; the message is for the person."""


@dataclass(frozen=True)
class PendingSignIn:
    purpose: Purpose
    flow: dict[str, Any]
    organization_code: str | None
    user_id: int | None


def sign_in_url(
    *,
    session: SessionBase,
    purpose: Purpose,
    redirect_uri: str,
    tenant: str = oidc.ANY_ORGANIZATION,
    organization: Organization | None = None,
    user: User | None = None,
) -> str:
    """Start an OpenID Connect sign-in at Microsoft; the flow waits in the session for the callback."""
    flow = oidc.start_sign_in(microsoft_config(), tenant=tenant, redirect_uri=redirect_uri)
    flows = dict(session.get(_FLOWS_KEY, {}))
    flows[str(flow["state"])] = {
        "purpose": str(purpose),
        "flow": flow,
        "org": str(organization.code) if organization else None,
        "user": user.pk if user else None,
    }
    session[_FLOWS_KEY] = dict(list(flows.items())[-_MAX_FLOWS:])
    return str(flow["auth_uri"])


def pending_sign_in(*, session: SessionBase, state: str, user_id: int | None) -> PendingSignIn:
    """Use up the sign-in this state belongs to (single-use, this browser, this person); raises `InvalidState`."""
    flows = dict(session.get(_FLOWS_KEY, {}))
    pending = flows.pop(state, None)
    session[_FLOWS_KEY] = flows
    if not pending:
        raise InvalidState("This sign-in link was already used, or was started in another browser.")
    if pending["user"] is not None and pending["user"] != user_id:
        raise InvalidState("This sign-in was started by another person.")
    return PendingSignIn(Purpose(pending["purpose"]), dict(pending["flow"]), pending["org"], pending["user"])


def finish(*, pending: PendingSignIn, params: dict[str, str]) -> VerifiedSignIn:
    """Redeem and verify; raises `microsoft.errors.MicrosoftError` subclasses."""
    return oidc.finish_sign_in(microsoft_config(), flow=pending.flow, params=params)


def person_for_sign_in(*, identity: VerifiedSignIn) -> User:
    """The person this verified Microsoft account is in Overlap; raises `SignInRefused` with the reason.

    Found through the organization bound to `tid` and its directory entry for `oid`; in individual mode a
    person signing in for the first time is added to that organization. Never by email, never staff.
    """
    connection = Connection.objects.filter(tenant_guid=identity.tid).select_related("organization").first()
    if connection is None:
        raise SignInRefused(NO_ORGANIZATION)
    entry = (
        DirectoryEntry.objects.filter(organization=connection.organization, object_id=identity.oid)
        .select_related("membership__user")
        .first()
    )
    if entry is None:
        return _newcomer(connection, identity)
    user = entry.membership.user
    if user.is_staff or user.is_superuser:
        raise SignInRefused(STAFF_REFUSED)
    if not entry.membership.is_active or not user.is_active:
        raise SignInRefused(
            f"Your access to {connection.organization.name} in Overlap has been removed. Ask one of its admins."
        )
    return user


def _newcomer(connection: Connection, identity: VerifiedSignIn) -> User:
    organization = connection.organization
    if connection.mode != Connection.Mode.DELEGATED or not connection.is_active:
        raise SignInRefused(
            f"{identity.username} is not among {organization.name}'s people in Overlap yet. Overlap brings them "
            "in from Microsoft 365 every hour; ask one of your admins to synchronise now."
        )
    try:
        with transaction.atomic():
            user = accounts.user_create(email=identity.username, name=identity.name)
            membership, _ = accounts.membership_ensure(user=user, organization=organization)
            _entry(membership, identity)
    except accounts.AddressTaken:
        raise SignInRefused(PASSWORD_ACCOUNT.format(address=identity.username)) from None
    return user


def _entry(membership: Membership, identity: VerifiedSignIn) -> DirectoryEntry:
    return DirectoryEntry.objects.create(
        organization=membership.organization,
        membership=membership,
        object_id=identity.oid,
        user_principal_name=identity.username,
        synced_at=timezone.now(),
    )


def organization_start(*, identity: VerifiedSignIn) -> tuple[User, Organization]:
    """ "Start with Microsoft 365": a new organization bound to the admin's tenant, with them as its admin.

    Raises `SignInRefused` (no consent role, tenant taken, address taken) and `ConsentRefused`'s messages.
    """
    if Connection.objects.filter(tenant_guid=identity.tid).exists():
        raise SignInRefused(TENANT_TAKEN)
    try:
        with transaction.atomic():
            user = accounts.user_create(email=identity.username, name=identity.name)
            organization = accounts.organization_create(name=_organization_name(identity.username))
            membership, _ = accounts.membership_ensure(user=user, organization=organization, role=Membership.Role.ADMIN)
            _entry(membership, identity)
            connection = Connection.objects.create(organization=organization, tenant=identity.tid)
            connection.mark_awaiting_consent(
                actor=user, why=IntegrationEvent.Kind.TENANT_CHANGED, detail=f"(none) → {identity.tid}"
            )
            tenant_bind(connection=connection, actor=user, identity=identity)
    except accounts.AddressTaken:
        raise SignInRefused(PASSWORD_ACCOUNT.format(address=identity.username)) from None
    except ConsentRefused as exc:
        raise SignInRefused(str(exc)) from None
    except IntegrityError:
        raise SignInRefused(TENANT_TAKEN) from None
    return user, organization


def _organization_name(username: str) -> str:
    domain = username.partition("@")[2]
    label = domain.split(".")[0] if domain else ""
    return label.capitalize() or "My organization"


def membership_link(*, membership: Membership, identity: VerifiedSignIn) -> DirectoryEntry:
    """Connect a signed-in person's Microsoft account (proven by signing in as it) to their membership.

    Raises `SignInRefused`, naming the account used, unless it is of the organization's tenant and not
    someone else's in Overlap already.
    """
    user = membership.user
    organization = membership.organization
    if user.is_staff or user.is_superuser:
        raise SignInRefused(STAFF_REFUSED)
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None or connection.tenant_guid != identity.tid:
        raise SignInRefused(
            f"You signed in at Microsoft as {identity.username}, an account of another organization. Sign in with "
            f"your own work account of {organization.name}."
        )
    own = DirectoryEntry.objects.filter(membership=membership).first()
    if own is not None:
        if own.object_id == identity.oid:
            return own
        raise SignInRefused(_not_yours(identity, own.user_principal_name))
    if DirectoryEntry.objects.filter(organization=organization, object_id=identity.oid).exists():
        raise SignInRefused(_not_yours(identity, ""))
    entry = _entry(membership, identity)
    audit(
        organization=organization,
        actor=user,
        kind=IntegrationEvent.Kind.MICROSOFT_LINKED,
        detail=f"{user.email} as {identity.username}",
    )
    return entry


def _not_yours(identity: VerifiedSignIn, yours: str) -> str:
    own = f" Your own account is {yours}." if yours else ""
    return (
        f"You signed in at Microsoft as {identity.username}, which is someone else's account in Overlap. "
        f"Nothing was changed.{own} Sign in at Microsoft with your own account."
    )
