"""Sign-in with Microsoft: only people of a connected organization's own tenant get in.

A Microsoft account is identified by its object id. It belongs to an organization when the
organization's directory sync already linked it, or when the organization's tenant knows that
object id (asked with the tenant's app-only token). Anyone else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from integrations.microsoft import errors
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.models import Connection, DirectoryEntry

REFUSED = (
    "Your Microsoft account belongs to an organization that has not connected Overlap. Sign in with your work "
    "account of an organization that uses Overlap, or ask your Microsoft 365 admin to connect it."
)


@dataclass(frozen=True)
class MicrosoftAccount:
    object_id: str
    email: str
    name: str
    user_principal_name: str


def organization_for_account(*, account: MicrosoftAccount) -> Organization | None:
    """The connected organization whose tenant holds this account, or None (the sign-in is refused)."""
    entry = DirectoryEntry.objects.filter(
        object_id=account.object_id, organization__microsoft_connection__status=Connection.Status.ACTIVE
    ).select_related("organization", "membership")
    linked = entry.first()
    if linked is not None:
        return linked.organization if linked.membership.is_active else None
    connections = Connection.objects.filter(status=Connection.Status.ACTIVE).select_related("organization")
    return next((c.organization for c in connections if _tenant_knows(c.tenant_guid, account.object_id)), None)


def _tenant_knows(tenant: str, object_id: str) -> bool:
    try:
        found = GraphClient.for_tenant(MicrosoftConfig.from_settings(), tenant).get_user(object_id)
    except errors.MicrosoftError:
        return False  # not in this tenant, or the tenant cannot be asked: either way not a match
    return found.account_enabled is not False and (found.user_type or "Member").lower() == "member"


def membership_for_sign_in(*, organization: Organization, user: User, account: MicrosoftAccount) -> Membership:
    """Make sure the person who signed in is a member (individual mode: members appear as they sign in)."""
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(user=user, organization=organization)
        linked = DirectoryEntry.objects.filter(membership=membership) | DirectoryEntry.objects.filter(
            organization=organization, object_id=account.object_id
        )
        if not linked.exists():
            DirectoryEntry.objects.create(
                organization=organization,
                membership=membership,
                object_id=account.object_id,
                user_principal_name=account.user_principal_name,
                synced_at=timezone.now(),
            )
    return membership


def user_for_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first() if email else None


def membership_for_sign_in_by_id(*, organization_id: int, user: User, account: MicrosoftAccount) -> Membership:
    return membership_for_sign_in(organization=Organization.objects.get(pk=organization_id), user=user, account=account)
