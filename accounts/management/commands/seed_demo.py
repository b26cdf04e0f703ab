"""Seed the demo organization. Running it again changes nothing: people and their data stay as they are."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organization, User

DEMO_ORGANIZATION = "Contoso"
DEMO_PASSWORD = "overlap-demo"
DEMO_DOMAIN = "contoso.onmicrosoft.com"
# The same people as the emulator's demo tenant, so that Microsoft sign-in and the directory sync meet them.
DEMO_PEOPLE = [
    ("adele.vance", "Adele Vance", Membership.Role.ADMIN),
    ("megan.bowen", "Megan Bowen", Membership.Role.MEMBER),
    ("alex.wilber", "Alex Wilber", Membership.Role.MEMBER),
]


class Command(BaseCommand):
    help = "Create the demo organization and its people (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            organization = self._organization()
            for local_part, name, role in DEMO_PEOPLE:
                self._person(organization, f"{local_part}@{DEMO_DOMAIN}", name, role)
        self.stdout.write(f"Demo organization {organization.name!r} is ready.")

    def _organization(self) -> Organization:
        existing = Organization.objects.filter(name=DEMO_ORGANIZATION).order_by("pk").first()
        return existing or Organization.objects.create(name=DEMO_ORGANIZATION)

    def _person(self, organization: Organization, email: str, name: str, role: str) -> None:
        user, created = User.objects.get_or_create(email=email, defaults={"name": name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": role})
