"""A large organization straight in the database: users, memberships and directory entries by bulk insert.

For the scale benchmarks and the tests that need a few thousand people: a directory sync of 100,000 people
through the emulator takes minutes, writing the same rows takes seconds. Names are made from common first and
last names (so typing "mar" or "son" finds many, as in a real directory), addresses follow them, and every
person's object id and address are unique and stable for a given organization and index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from integrations.models import DirectoryEntry

_FIRST_NAMES = (
    "Adele Alex Allan Amir Ana Anders Bianca Carlos Chen Chloe Daniel Diego Elena Emma Fatima Felix "
    "Grace Hana Henrietta Isaac Isabel Ivan Jana Joni Jun Karin Kenji Lara Lee Lidia Lucas Lynne Maria "
    "Mark Megan Miriam Nestor Nora Olga Omar Patti Pedro Priya Quinn Rafael Rosa Sami Sara Sofia Tomas "
    "Uma Victor Wei Yara Zoe"
)
FIRST = tuple(_FIRST_NAMES.split())
_LAST_NAMES = (
    "Anderson Bowen Brown Cohen Dubois Evans Fischer Garcia Gonzalez Hansen Ivanova Jensen Johnson Kim "
    "Kowalski Larsen Lee Martin Moreau Muller Nakamura Nguyen Novak Okafor Olsen Patel Perez Petrov "
    "Rossi Sato Schmidt Silva Singh Smith Suzuki Tanaka Taylor Vance Wagner Wang Weber Wilke Williams "
    "Wilson Yamamoto Zhang"
)
LAST = tuple(_LAST_NAMES.split())
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "America/Los_Angeles", "Asia/Kolkata")
BATCH = 5000


def person_name(index: int) -> str:
    first = FIRST[index % len(FIRST)]
    last = LAST[(index // len(FIRST)) % len(LAST)]
    return f"{first} {last}"


def person_email(index: int, domain: str) -> str:
    first, last = person_name(index).lower().split()
    return f"{first}.{last}.{index}@{domain}"


def crowd_create(*, organization: Organization, count: int, domain: str = "crowd.example.com") -> int:
    """Give the organization `count` more people (members, with directory entries); returns how many exist now.

    People already made for this organization and domain are kept: calling it again with a larger count adds
    only the missing ones, so a benchmark can grow the same world from 1,000 to 100,000.
    """
    have = Membership.objects.filter(organization=organization, user__email__endswith=f"@{domain}").count()
    for start in range(have, count, BATCH):
        _add(organization, range(start, min(start + BATCH, count)), domain)
    if count > have:
        _analyze()
    return max(have, count)


def _analyze() -> None:
    """Fresh planner statistics, as autovacuum gives a database soon after a large sync."""
    with connection.cursor() as cursor:
        for table in ("accounts_user", "accounts_membership", "integrations_directoryentry"):
            cursor.execute(f"ANALYZE {table}")


def _add(organization: Organization, indexes: range, domain: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(list(_users(indexes, domain)))
        if any(user.pk is None for user in users):  # SQLite before 3.35 returns no ids: read them back
            emails = [user.email for user in users]
            users = list(User.objects.filter(email__in=emails).order_by("pk"))
        memberships = Membership.objects.bulk_create(
            [Membership(user=user, organization=organization, created=now) for user in users]
        )
        DirectoryEntry.objects.bulk_create(
            [
                DirectoryEntry(
                    organization=organization,
                    membership=membership,
                    object_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{organization.code}/{membership.user.email}")),
                    user_principal_name=membership.user.email,
                    synced_at=now,
                )
                for membership in memberships
            ]
        )


def _users(indexes: range, domain: str) -> Iterator[User]:
    for index in indexes:
        yield User(
            email=person_email(index, domain),
            name=person_name(index),
            time_zone=ZONES[index % len(ZONES)],
            password="!",  # unusable: these people sign in with Microsoft or not at all
        )
