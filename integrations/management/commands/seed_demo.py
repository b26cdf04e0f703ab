"""Seed the demo organization. Running it again changes nothing: people and their data stay as they are.

The demo organization is bound to the emulator's Contoso tenant, and its password people are linked to
their Microsoft accounts there by object id (the emulator's fixture gives every person a stable one), so
that Microsoft sign-in and the directory sync meet them. Adele, a Global Administrator there, grants
consent from the settings page.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Membership, Organization, User
from integrations.connection.lookup import connection_or_new
from integrations.models import Connection, DirectoryEntry, IntegrationEvent

DEMO_ORGANIZATION = "Contoso"
DEMO_PASSWORD = "overlap-demo"
DEMO_DOMAIN = "contoso.onmicrosoft.com"
DEMO_TENANT_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"
# The same people as the emulator's demo tenant, with their object ids there.
DEMO_PEOPLE = [
    ("adele.vance", "Adele Vance", Membership.Role.ADMIN, "34e32c5f-fd9c-592d-9c56-5525a201fb75"),
    ("megan.bowen", "Megan Bowen", Membership.Role.MEMBER, "f95a5305-6f1b-5857-b253-178308e7e5b5"),
    ("alex.wilber", "Alex Wilber", Membership.Role.MEMBER, "4deed2bd-57e3-53b1-982d-2fd490b668d4"),
]


class Command(BaseCommand):
    help = "Create the demo organization and its people (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            organization = self._organization()
            for local_part, name, role, object_id in DEMO_PEOPLE:
                self._person(organization, f"{local_part}@{DEMO_DOMAIN}", name, role, object_id)
        self.stdout.write(f"Demo organization {organization.name!r} is ready.")

    def _organization(self) -> Organization:
        bound = Connection.objects.filter(tenant_guid=DEMO_TENANT_ID).select_related("organization").first()
        if bound is not None:
            return bound.organization
        existing = Organization.objects.filter(name=DEMO_ORGANIZATION).order_by("pk").first()
        organization = existing or accounts.organization_create(name=DEMO_ORGANIZATION)
        connection = connection_or_new(organization=organization)
        if connection.status == Connection.Status.NOT_CONFIGURED:
            connection.tenant = DEMO_DOMAIN
            connection.mark_awaiting_consent(
                actor=None, why=IntegrationEvent.Kind.TENANT_CHANGED, detail=f"(none) → {DEMO_DOMAIN}"
            )
        connection.tenant_guid = DEMO_TENANT_ID  # the demo's admin proves it again when she consents
        connection.save(update_fields=["tenant", "tenant_guid", "updated"])
        return organization

    def _person(self, organization: Organization, email: str, name: str, role: str, object_id: str) -> None:
        if DirectoryEntry.objects.filter(organization=organization, object_id=object_id).exists():
            return
        user = User.objects.filter(email=email).first()
        if user is None:
            user = accounts.user_create(email=email, name=name, password=DEMO_PASSWORD)
        membership, _ = accounts.membership_ensure(user=user, organization=organization, role=role)
        if not DirectoryEntry.objects.filter(membership=membership).exists():
            DirectoryEntry.objects.create(
                organization=organization,
                membership=membership,
                object_id=object_id,
                user_principal_name=email,
                synced_at=timezone.now(),
            )
