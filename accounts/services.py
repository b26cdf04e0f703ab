"""Writes to accounts' own tables: people, organizations, memberships, invitations.

Other apps call these instead of creating users or memberships themselves. Nothing here looks a
person up by email address for identity: callers pass the user they found by a verified identifier.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, User

INVITATION_DAYS = 7


class InvitationInvalid(Exception):
    """The invitation link is unknown, already used, or expired."""


class AddressTaken(Exception):
    """Another account already uses this email address."""


def user_create(*, email: str, name: str = "", password: str | None = None) -> User:
    """A new person; raises `AddressTaken` rather than touch an existing account with the same address."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AddressTaken(email)
    return User.objects.create_user(email=email, password=password, name=name)


def users_bulk_create(*, people: list[tuple[str, str]]) -> list[User]:
    """Many new people (email, name) in one insert, without passwords (they sign in with Microsoft).

    The caller has made sure nobody holds the addresses (`addresses_held`); the database refuses a duplicate.
    """
    users = [User(email=e.strip().lower(), name=name[:200], password=_unusable_password()) for e, name in people]
    return User.objects.bulk_create(users)


def users_rename(*, names: list[tuple[int, str]]) -> None:
    """Give these people (user id, new name) their new names, in one bulk update."""
    if names:
        User.objects.bulk_update([User(pk=pk, name=name) for pk, name in names], ["name"], batch_size=500)


def _unusable_password() -> str:
    """What `make_password(None)` stores (a marker no password matches), from one call to the system's random
    source instead of forty: it counts when 100,000 people arrive at once."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def addresses_held(*, emails: list[str]) -> set[str]:
    """Which of these (lowercased) addresses an account already holds, in one query."""
    wanted = sorted({email.strip().lower() for email in emails if email.strip()})
    held: set[str] = set()
    for start in range(0, len(wanted), 900):
        found = User.objects.filter(email__in=wanted[start : start + 900]).values_list("email", flat=True)
        held.update(email.lower() for email in found)
    return held


def user_holding(*, email: str) -> User | None:
    """Who holds this address now, so that a caller can refuse to touch them (never to link or merge)."""
    return User.objects.filter(email__iexact=email.strip()).first() if email.strip() else None


def user_retire_address(*, user: User, reason: str) -> None:
    """Free a person's address for someone new (Entra re-created it): the old account keeps its history."""
    local, _, domain = user.email.partition("@")
    user.email = f"{local}+{reason}-{secrets.token_hex(4)}@{domain}"
    user.save(update_fields=["email"])


def users_mailbox_zones_record(*, zones: Mapping[User, str]) -> None:
    """Keep each person's working-hours zone (an IANA name) as Microsoft 365 told it: one write for everyone whose
    zone is new, none when nothing changed."""
    changed = []
    for user, zone in zones.items():
        if zone and len(zone) <= 64 and user.mailbox_time_zone != zone:
            user.mailbox_time_zone = zone
            changed.append(user)
    if changed:
        User.objects.bulk_update(changed, ["mailbox_time_zone"])


def organization_create(*, name: str) -> Organization:
    return Organization.objects.create(name=name[:200] or "My organization")


def membership_ensure(
    *, user: User, organization: Organization, role: str = Membership.Role.MEMBER, is_active: bool = True
) -> tuple[Membership, bool]:
    """The person's membership of the organization, made when missing (with `role`, `is_active`); (it, created)."""
    return Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role, "is_active": is_active}
    )


def memberships_bulk_create(*, users: list[User], organization: Organization) -> list[Membership]:
    """A member's membership for each new person, in one insert."""
    return Membership.objects.bulk_create(Membership(user=user, organization=organization) for user in users)


def memberships_set_active(*, ids: list[int], is_active: bool) -> int:
    """Give or take away access from many memberships at once, a few hundred per query; how many changed."""
    changed = 0
    for start in range(0, len(ids), 900):
        part = Membership.objects.filter(pk__in=ids[start : start + 900]).exclude(is_active=is_active)
        changed += part.update(is_active=is_active)
    return changed


def membership_set_active(*, membership: Membership, is_active: bool) -> bool:
    """Give or take away access; True when it changed."""
    if membership.is_active == is_active:
        return False
    membership.is_active = is_active
    membership.save(update_fields=["is_active"])
    return True


class LastAdmin(Exception):
    """The change would leave the organization without an active admin."""


class NotOnYourself(Exception):
    """An admin may not take away their own access."""


def _other_active_admins(membership: Membership) -> int:
    """Active admins besides this person, locked until the transaction ends so two admins cannot both leave."""
    others = Membership.objects.select_for_update().filter(
        organization_id=membership.organization_id, role=Membership.Role.ADMIN, is_active=True
    )
    return len(others.exclude(pk=membership.pk))


def membership_set_role(*, membership: Membership, role: str) -> bool:
    """Make the person an admin or a member; True when it changed.

    Raises `LastAdmin` rather than leave the organization without an active admin.
    """
    with transaction.atomic():
        if membership.role == role:
            return False
        if membership.is_admin and membership.is_active and _other_active_admins(membership) == 0:
            raise LastAdmin("An organization keeps at least one active admin: make someone else admin first.")
        membership.role = role
        membership.save(update_fields=["role"])
    return True


def membership_change_access(*, membership: Membership, is_active: bool, by: User) -> bool:
    """An admin deactivates or reactivates a person; True when it changed.

    A deactivation stands until an admin reactivates the person: the directory sync does not undo it.

    Raises `NotOnYourself` when an admin deactivates themselves, and `LastAdmin` for the last active admin.
    """
    if not is_active and membership.user_id == by.pk:
        raise NotOnYourself("You cannot deactivate yourself; another admin can.")
    with transaction.atomic():
        if not is_active and membership.is_admin and membership.is_active and _other_active_admins(membership) == 0:
            raise LastAdmin("An organization keeps at least one active admin: make someone else admin first.")
        changed = membership_set_active(membership=membership, is_active=is_active)
        membership.deactivated_by_admin = not is_active
        membership.save(update_fields=["deactivated_by_admin"])
        return changed


def active_admin_count(*, organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN, is_active=True).count()


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    secret: str  # goes into the link only; never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_create(*, organization: Organization, invited_by: User, email: str, role: str) -> NewInvitation:
    """A single-use invitation valid for INVITATION_DAYS; earlier open invitations for the address lapse."""
    email = email.strip().lower()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(organization=organization, email=email, accepted_at__isnull=True).update(
            expires_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            secret_hash=_hash(secret),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
    return NewInvitation(invitation, secret)


def invitation_open(*, secret: str) -> Invitation:
    """The open invitation behind a link; raises `InvitationInvalid` for a used, expired or unknown one."""
    invitation = Invitation.objects.select_related("organization").filter(secret_hash=_hash(secret)).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid. Ask your admin for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation was already used. Sign in with your password instead.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired. Ask your admin to invite you again.")
    return invitation


def invitation_accept(*, secret: str, name: str, password: str) -> User:
    """Use the invitation once: a new password account and its membership. Raises the two errors above."""
    with transaction.atomic():
        invitation = invitation_open(secret=secret)
        Invitation.objects.select_for_update().filter(pk=invitation.pk, accepted_at__isnull=True).get()
        user = user_create(email=invitation.email, name=name, password=password)
        membership_ensure(user=user, organization=invitation.organization, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user
