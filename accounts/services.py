"""Writes to accounts' own tables: people, organizations, memberships, invitations.

Other apps call these instead of creating users or memberships themselves. Nothing here looks a
person up by email address for identity: callers pass the user they found by a verified identifier.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext

from accounts.audit import Area, Where, record, record_people
from accounts.mail import invitation_send, mail_language
from accounts.models import Invitation, Membership, Organization, User

INVITATION_DAYS = 7


class InvitationInvalid(Exception):
    """The invitation link is unknown, already used, or expired."""


class AddressTaken(Exception):
    """Another account already uses this email address."""


def user_create(*, email: str, name: str = "", password: str | None = None) -> User:
    """A new password account; raises `AddressTaken` rather than touch another password account with the address.

    A Microsoft person with the same address is someone else and does not count (an address is not identity).
    """
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email, microsoft_object_id="").exists():
        raise AddressTaken(email)
    return User.objects.create_user(email=email, password=password, name=name)


def microsoft_person(*, tenant: str, object_id: str, email: str, name: str = "") -> User:
    """The account of this Microsoft person (tenant id, object id), made when missing, with no password.

    Found by identity only: a password account with the same address is another person and stays untouched.
    """
    user, _ = User.objects.get_or_create(
        microsoft_tenant=tenant.lower(),
        microsoft_object_id=object_id.lower(),
        defaults={"email": email.strip().lower(), "name": name[:200], "password": _unusable_password()},
    )
    return user


def user_mark_microsoft(*, user: User, tenant: str, object_id: str) -> None:
    """A password account proved it is this Microsoft person: from now on Entra ID governs it, so its local
    password stops working (it would outlive a disabled or deleted Entra account)."""
    user.microsoft_tenant, user.microsoft_object_id = tenant.lower(), object_id.lower()
    user.password = _unusable_password()
    user.save(update_fields=["microsoft_tenant", "microsoft_object_id", "password"])
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()  # no address change pending


def users_bulk_create(*, tenant: str, people: list[tuple[str, str, str]]) -> list[User]:
    """Many new Microsoft people (object id, email, name) of a tenant in one insert, without passwords.

    The caller has made sure none of the object ids has an account yet; the database refuses a duplicate.
    """
    users = [
        User(
            email=email.strip().lower(),
            name=name[:200],
            password=_unusable_password(),
            microsoft_tenant=tenant.lower(),
            microsoft_object_id=object_id.lower(),
        )
        for object_id, email, name in people
    ]
    return User.objects.bulk_create(users)


def users_sign_out_everywhere(*, ids: list[int]) -> None:
    """End every session of these people at once, on every device and whatever the session store: a new
    password marker changes the hash each session was signed with, so Django drops the session at its next
    request. For Microsoft people, whom Entra ID disabled or deleted."""
    for start in range(0, len(ids), 500):
        part = [User(pk=pk, password=_unusable_password()) for pk in ids[start : start + 500]]
        User.objects.bulk_update(part, ["password"])


def users_rename(*, names: list[tuple[int, str]]) -> None:
    """Give these people (user id, new name) their new names, in one bulk update."""
    if names:
        User.objects.bulk_update([User(pk=pk, name=name) for pk, name in names], ["name"], batch_size=500)


def _unusable_password() -> str:
    """What `make_password(None)` stores (a marker no password matches), from one call to the system's random
    source instead of forty: it counts when 100,000 people arrive at once."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def addresses_held(*, emails: list[str]) -> set[str]:
    """Which of these (lowercased) addresses a Microsoft person already holds, in one query (a password
    account's address never stands in a Microsoft person's way)."""
    wanted = sorted({email.strip().lower() for email in emails if email.strip()})
    held: set[str] = set()
    for start in range(0, len(wanted), 900):
        found = _microsoft_people().filter(email__in=wanted[start : start + 900]).values_list("email", flat=True)
        held.update(email.lower() for email in found)
    return held


def user_holding(*, email: str) -> User | None:
    """Which Microsoft person holds this address now, so that a caller can refuse to touch them (never to link
    or merge)."""
    return _microsoft_people().filter(email__iexact=email.strip()).first() if email.strip() else None


def _microsoft_people() -> QuerySet[User]:
    return User.objects.exclude(microsoft_object_id="")


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


def user_language_set(*, user: User, language: str) -> None:
    """The language (a code of settings.LANGUAGES) this person's pages and mail are in from now on."""
    user.language = language
    user.save(update_fields=["language"])


def organization_create(*, name: str) -> Organization:
    return Organization.objects.create(name=name[:200] or "My organization")


def membership_ensure(
    *,
    user: User,
    organization: Organization,
    role: str = Membership.Role.MEMBER,
    is_active: bool = True,
    where: Where = Where.OVERLAP,
    how: str = "",
) -> tuple[Membership, bool]:
    """The person's membership of the organization, made when missing (with `role`, `is_active`); (it, created).

    A new membership goes into the audit trail: the person joined in Overlap (`how`), or the directory sync added them.
    """
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": role, "is_active": is_active}
        )
        if created:
            by = user if where == Where.OVERLAP else None
            action = "joined" if where == Where.OVERLAP else "added"
            detail = f"{how + ', ' if how else ''}as {Membership.Role(role).label.lower()}"
            _record_person(membership, action, by=by, detail=detail, where=where)
    return membership, created


def memberships_bulk_create(*, users: list[User], organization: Organization) -> list[Membership]:
    """A member's membership for each new person of the directory, in one insert (and their audit lines in a few)."""
    made = Membership.objects.bulk_create(Membership(user=user, organization=organization) for user in users)
    record_people(organization=organization, action="added", people=users, where=Where.DIRECTORY)
    return made


def memberships_set_active(*, ids: list[int], is_active: bool, where: Where = Where.DIRECTORY) -> int:
    """Give or take away access from many memberships at once, a few hundred per query; how many changed.

    Each change goes into the audit trail as Microsoft's (Entra ID enabled, disabled or deleted the person)."""
    changed = 0
    for start in range(0, len(ids), 900):
        part = Membership.objects.filter(pk__in=ids[start : start + 900]).exclude(is_active=is_active)
        people = list(part.select_related("organization", "user"))
        changed += Membership.objects.filter(pk__in=[m.pk for m in people]).update(is_active=is_active)
        _record_access(people, is_active=is_active, where=where)
    return changed


def _record_access(memberships: list[Membership], *, is_active: bool, where: Where) -> None:
    action = "reactivated" if is_active else "deactivated"
    by_organization: dict[Organization, list[User]] = {}
    for membership in memberships:
        by_organization.setdefault(membership.organization, []).append(membership.user)
    for organization, people in by_organization.items():
        record_people(organization=organization, action=action, people=people, where=where)


def memberships_sign_out(*, ids: list[int]) -> None:
    """End every session of the people these memberships belong to (`users_sign_out_everywhere`)."""
    for start in range(0, len(ids), 900):
        people = Membership.objects.filter(pk__in=ids[start : start + 900]).values_list("user_id", flat=True)
        users_sign_out_everywhere(ids=list(people))


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


def membership_set_role(*, membership: Membership, role: str, by: User | None) -> bool:
    """Make the person an admin or a member (`by` an admin; None: Overlap itself); True when it changed.

    Raises `LastAdmin` rather than leave the organization without an active admin.
    """
    with transaction.atomic():
        if membership.role == role:
            return False
        if membership.is_admin and membership.is_active and _other_active_admins(membership) == 0:
            raise LastAdmin("An organization keeps at least one active admin: make someone else admin first.")
        detail = f"{membership.get_role_display()} → {Membership.Role(role).label}"
        membership.role = role
        membership.save(update_fields=["role"])
        _record_person(membership, "role_changed", by=by, detail=detail)
    return True


def _record_person(
    membership: Membership,
    action: str,
    *,
    by: User | None,
    detail: str = "",
    target: str = "",
    where: Where = Where.OVERLAP,
) -> None:
    """A change to one person, for the audit trail; `target` (an address) names a person whose account is going."""
    person = None if target else membership.user
    organization = membership.organization
    record(
        organization=organization,
        area=Area.PEOPLE,
        action=action,
        actor=by,
        person=person,
        target=target,
        detail=detail,
        where=where,
    )


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
        if changed:
            _record_person(membership, "reactivated" if is_active else "deactivated", by=by)
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
        detail = f"as {Membership.Role(role).label.lower()}, by email"
        record(
            organization=organization, area=Area.PEOPLE, action="invited", actor=invited_by, target=email, detail=detail
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


def invitation_issue(
    *, organization: Organization, invited_by: User, email: str, role: str, accept_url: Callable[[str], str]
) -> Invitation:
    """Create the invitation and email its link. `accept_url` turns the secret into the absolute link (the caller
    knows the site's address); the secret itself never leaves this function."""
    new = invitation_create(organization=organization, invited_by=invited_by, email=email, role=role)
    invitation_send(
        to=new.invitation.email,
        inviter=str(invited_by),
        organization=organization.name,
        link=accept_url(new.secret),
        days=INVITATION_DAYS,
        language=mail_language(email=email, fallback=invited_by.language or get_language()),
    )
    return new.invitation


def invitation_open(*, secret: str) -> Invitation:
    """The open invitation behind a link; raises `InvitationInvalid` for a used, expired or unknown one."""
    invitation = Invitation.objects.select_related("organization").filter(secret_hash=_hash(secret)).first()
    if invitation is None:
        raise InvitationInvalid(gettext("This invitation link is not valid. Ask your admin for a new one."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(gettext("This invitation was already used. Sign in with your password instead."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(gettext("This invitation has expired. Ask your admin to invite you again."))
    return invitation


def invitation_accept(*, secret: str, name: str, password: str) -> User:
    """Use the invitation once: a new password account and its membership. Raises the two errors above."""
    with transaction.atomic():
        invitation = invitation_open(secret=secret)
        Invitation.objects.select_for_update().filter(pk=invitation.pk, accepted_at__isnull=True).get()
        user = user_create(email=invitation.email, name=name, password=password)
        membership_ensure(user=user, organization=invitation.organization, role=invitation.role, how="by invitation")
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


# -- one address, two people: a password account and a Microsoft person -------------------------------------


class CannotMerge(Exception):
    """The two accounts cannot be merged; the message says why."""


def address_clashes(*, organization: Organization) -> list[tuple[Membership, Membership]]:
    """(password account, Microsoft person) pairs of this organization's people who give the same address: the
    admin decides whether they are one person (merge) or the password account goes. One query when there is
    no clash (the usual case), two otherwise, whatever the organization's size."""
    people = Membership.objects.filter(organization=organization).select_related("user")
    local = people.filter(user__microsoft_object_id="")
    microsoft = list(
        people.filter(user__email__in=local.values("user__email"))
        .exclude(user__microsoft_object_id="")
        .order_by("user__email", "pk")
    )
    if not microsoft:
        return []
    by_address = {m.user.email: m for m in local.filter(user__email__in=[m.user.email for m in microsoft])}
    return [(by_address[m.user.email], m) for m in microsoft if m.user.email in by_address]


def clash_of(*, local: Membership) -> Membership:
    """The Microsoft person whose address this password account gives, in the same organization; raises
    `CannotMerge` when there is none (the page was stale, or the person is not a password account)."""
    for own, microsoft in address_clashes(organization=local.organization):
        if own.pk == local.pk:
            return microsoft
    raise CannotMerge(f"{local.user.email} is not a password account sharing a Microsoft person's address here.")


def password_account_merge(*, local: Membership, by: User) -> Membership:
    """The password account was the Microsoft person all along: its bookings and history move to the Microsoft
    person's membership (the higher role of the two), then it leaves the organization (and Overlap, when it
    belongs nowhere else). Raises `CannotMerge`; nothing changes then."""
    into = clash_of(local=local)
    try:
        with transaction.atomic():
            _repoint(Membership, local, into, lambda field: True)
            _repoint(User, local.user, into.user, lambda field: field.null)  # history keeps naming the person
            if local.is_admin and not into.is_admin:
                into.role = Membership.Role.ADMIN
                into.save(update_fields=["role"])
            _record_person(into, "merged", by=by, detail=f"{local.user.email}'s meetings now belong to them")
            _leave(local, by=by)
    except IntegrityError:
        raise CannotMerge(
            f"{local.user.email} and the Microsoft person are both in a meeting, or in two at the same time; "
            "cancel one of them, then merge. Nothing was changed."
        ) from None
    return into


def password_account_remove(*, local: Membership, by: User) -> None:
    """The password account is someone else, or nobody: it leaves the organization (and Overlap, when it
    belongs nowhere else). Raises `CannotMerge`, `NotOnYourself`, `LastAdmin`."""
    clash_of(local=local)
    with transaction.atomic():
        _record_person(
            local, "removed", by=by, target=local.user.email, detail="it shared a Microsoft person's address"
        )
        _leave(local, by=by)


def _leave(local: Membership, *, by: User) -> None:
    if local.user_id == by.pk:
        raise NotOnYourself("You cannot remove your own account; another admin can.")
    if local.is_admin and local.is_active and _other_active_admins(local) == 0:
        raise LastAdmin("An organization keeps at least one active admin: make someone else admin first.")
    user = local.user
    local.delete()
    if not user.memberships.exists():
        user.delete()


def _repoint(
    model: type[models.Model], old: models.Model, new: models.Model, keep: Callable[[models.Field[Any, Any]], bool]
) -> None:
    """Every many-to-one reference to `old` (from any app, found through the model's relations, so that this
    module imports none) now names `new`; one-to-one rows (a grant, a directory link) stay and go with `old`."""
    for relation in model._meta.get_fields(include_hidden=True):  # hidden: the audit logs' related_name="+"
        if not isinstance(relation, models.ManyToOneRel) or isinstance(relation, models.OneToOneRel):
            continue
        source = relation.related_model
        if isinstance(source, type) and source not in (Membership, EmailAddress) and keep(relation.field):
            name = relation.field.name
            source._default_manager.filter(**{name: old}).update(**{name: new})
