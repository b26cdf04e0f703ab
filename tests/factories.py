"""factory_boy factories for the objects every test needs."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Membership, Organization, User
from integrations.models import MailboxReach


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MEMBER


def reach_found(membership: Membership, *, reachable: bool, reason: str = "") -> MailboxReach:
    """What a reach check would have stored for this person."""
    return MailboxReach.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        reachable=reachable,
        reason=reason,
        checked_at=timezone.now(),
    )
