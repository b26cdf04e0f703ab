"""Who a person is at Microsoft, and what Overlap does with it: sign in, start an organization, link an account.

A person is Microsoft's (tenant id, object id) from an ID token Overlap verified (`microsoft.oidc`); an
email address never finds, links or merges an account. The tenant finds the organization (a tenant is
bound to at most one), the object id finds the person in it through their directory entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Membership, Organization, User
from integrations.connection.clients import microsoft_config
from integrations.connection.log import audit
from integrations.connection.lookup import connection_for
from integrations.consent import binding
from integrations.consent.services import (
    TENANT_TAKEN,
    ConsentRefused,
    RoleMissing,
    consent_role_check,
    tenant_bind,
    typed_tenant_guid,
)
from integrations.microsoft import oidc
from integrations.microsoft.oidc import VerifiedSignIn
from integrations.models import Connection, DirectoryEntry, IntegrationEvent
from integrations.state import InvalidState

_FLOWS_KEY = "integrations_sign_in_flows"
_HANDED_SALT = "integrations.consent-handed"
_HANDED_MAX_AGE = timedelta(days=7)
_MAX_FLOWS = 5

NO_ORGANIZATION = (
    "Your organization does not use Overlap yet. A Microsoft 365 admin of your organization can start it with "
    "“Start with Microsoft 365”."
)
STAFF_REFUSED = "Overlap's operator accounts cannot sign in with Microsoft. Sign in with your password."


class Purpose(StrEnum):
    SIGN_IN = "sign-in"  # anyone: who are you?
    START = "start"  # a tenant admin starts a new organization
    CONSENT = "consent"  # an organization's admin proves the tenant before admin consent
    LINK = "link"  # a signed-in password account connects their Microsoft account
    HANDED = "handed"  # someone who can grant consent, sent a link by an admin who cannot


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

    Found by (tenant id, object id) alone, so that an organization's people still sign in while it is
    disconnected (its admins must, to connect again); else through the directory entry of `oid` in the
    organization bound to `tid` (the demo's seeded people). In individual mode a person signing in for the
    first time is added to that organization. Never by email, never staff.
    """
    user = _stamped(identity) or _linked_in_directory(identity)
    if user is None:
        return _newcomer(_bound_connection(identity), identity)
    if user.is_staff or user.is_superuser:
        raise SignInRefused(STAFF_REFUSED)
    membership = user.memberships.select_related("organization").order_by("-is_active", "pk").first()
    if membership is None:
        raise SignInRefused(NO_ORGANIZATION)
    if not membership.is_active or not user.is_active:
        raise SignInRefused(
            f"Your access to {membership.organization.name} in Overlap has been removed. Ask one of its admins."
        )
    return user


def _stamped(identity: VerifiedSignIn) -> User | None:
    return User.objects.filter(microsoft_tenant=identity.tid.lower(), microsoft_object_id=identity.oid.lower()).first()


def _linked_in_directory(identity: VerifiedSignIn) -> User | None:
    """The account that the organization bound to `tid` links to `oid` without the identity stamped on it (the
    demo's seeded people, who also have a password)."""
    entry = DirectoryEntry.objects.filter(
        organization__microsoft_connection__tenant_guid=identity.tid, object_id=identity.oid.lower()
    )
    found = entry.select_related("membership__user").first()
    return found.membership.user if found else None


def _bound_connection(identity: VerifiedSignIn) -> Connection:
    connection = Connection.objects.filter(tenant_guid=identity.tid).select_related("organization").first()
    if connection is None:
        raise SignInRefused(NO_ORGANIZATION)
    return connection


def _newcomer(connection: Connection, identity: VerifiedSignIn) -> User:
    organization = connection.organization
    if connection.mode != Connection.Mode.DELEGATED or not connection.is_active:
        raise SignInRefused(
            f"{identity.username} is not among {organization.name}'s people in Overlap yet. Overlap brings them "
            "in from Microsoft 365 every hour; ask one of your admins to synchronise now."
        )
    with transaction.atomic():
        user = _person(identity)
        membership, _ = accounts.membership_ensure(user=user, organization=organization)
        _entry(membership, identity)
    return user


def _person(identity: VerifiedSignIn) -> User:
    return accounts.microsoft_person(
        tenant=identity.tid, object_id=identity.oid, email=identity.username, name=identity.name
    )


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

    The tenant is only held until consent works (`binding`). Raises `RoleMissing` for a role that cannot grant
    the consent, and `SignInRefused` (tenant taken) with `ConsentRefused`'s other messages. A password account
    with the admin's address is someone else and does not stand in the way.
    """
    binding.stale_bindings_release(tenant=identity.tid)
    if Connection.objects.filter(tenant_guid=identity.tid).exists():
        raise SignInRefused(TENANT_TAKEN)
    try:
        with transaction.atomic():
            user = _person(identity)
            organization = accounts.organization_create(name=_organization_name(identity.username))
            membership, _ = accounts.membership_ensure(user=user, organization=organization, role=Membership.Role.ADMIN)
            _entry(membership, identity)
            connection = Connection.objects.create(organization=organization, tenant=identity.tid)
            connection.mark_awaiting_consent(
                actor=user, why=IntegrationEvent.Kind.TENANT_CHANGED, detail=f"(none) → {identity.tid}"
            )
            tenant_bind(connection=connection, actor=user, identity=identity)
    except RoleMissing:
        raise
    except ConsentRefused as exc:
        raise SignInRefused(str(exc)) from None
    except IntegrityError:
        raise SignInRefused(TENANT_TAKEN) from None
    return user, organization


def handed_link_code(*, organization: Organization) -> str:
    """The signed part of the link an admin hands on to someone who can grant consent (valid for a week)."""
    return signing.dumps({"o": str(organization.code)}, salt=_HANDED_SALT)


def handed_organization(*, code: str) -> Organization:
    """The organization a handed-on link names; raises `InvalidState` for a forged or expired link."""
    try:
        payload = signing.loads(code, salt=_HANDED_SALT, max_age=_HANDED_MAX_AGE)
        return Organization.objects.get(code=uuid.UUID(str(payload["o"])))
    except signing.SignatureExpired:
        raise InvalidState("This link has expired: ask for a new one.") from None
    except (signing.BadSignature, KeyError, ValueError, Organization.DoesNotExist):
        raise InvalidState("This link was not issued by Overlap.") from None


def organization_join(*, identity: VerifiedSignIn, organization: Organization) -> User:
    """Someone an admin handed the consent link to: they become one of the organization's admins, to grant it.

    Only while the organization still waits for consent, only with a role that can grant it (`RoleMissing`
    otherwise), and only for an account of the tenant the organization's admin typed; raises `SignInRefused`.
    """
    connection = connection_for(organization=organization)
    if connection is None or not connection.tenant or connection.in_use:
        raise SignInRefused(f"{organization.name} does not wait for consent any more. Ask one of its admins.")
    consent_role_check(identity)
    try:
        proven = identity.tid == typed_tenant_guid(connection)
    except ConsentRefused as exc:
        raise SignInRefused(str(exc)) from None
    if not proven:
        raise SignInRefused(
            f"You signed in at Microsoft as {identity.username}, an account of another organization than the one "
            f"{organization.name} connects. Nothing was changed."
        )
    return _admin_of(organization, identity)


def _admin_of(organization: Organization, identity: VerifiedSignIn) -> User:
    """The person as an admin of the organization: found by their object id there, else added."""
    entry = DirectoryEntry.objects.filter(organization=organization, object_id=identity.oid).first()
    with transaction.atomic():
        if entry is None:
            membership, _ = accounts.membership_ensure(user=_person(identity), organization=organization)
            entry = _entry(membership, identity)
        membership = entry.membership
        if membership.user.is_staff or membership.user.is_superuser:
            raise SignInRefused(STAFF_REFUSED)
        if not membership.is_active or not membership.user.is_active:  # an admin took their access away
            raise SignInRefused(f"Your access to {organization.name} in Overlap has been removed.")
        Membership.objects.filter(pk=membership.pk).update(role=Membership.Role.ADMIN)
    audit(
        organization=organization,
        actor=membership.user,
        kind=IntegrationEvent.Kind.MICROSOFT_LINKED,
        detail=f"{identity.username} joined as an admin to grant consent ({', '.join(identity.consent_roles)})",
    )
    return membership.user


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
    connection = connection_for(organization=organization)
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
    accounts.user_mark_microsoft(user=user, tenant=identity.tid, object_id=identity.oid)
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
