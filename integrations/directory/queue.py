"""Asking for a directory sync: now (the admin's "Synchronise now") or once a connection starts working."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Organization
from integrations.connection.clients import usable_tenant
from integrations.directory import tasks


def directory_sync_soon(*, organization: Organization, confirmed: bool = False) -> None:
    """Queue a directory sync now (the admin's "Synchronise now"); only for an active domain-wide connection.

    `confirmed`: the admin agreed to the large deactivation an earlier sync held back.
    """
    usable_tenant(organization=organization)
    directory_sync_enqueue(organization, confirmed=confirmed)


def directory_sync_enqueue(organization: Organization, *, confirmed: bool = False) -> None:
    """Queue a sync once the current transaction commits (a new or changed connection, a consent that worked)."""
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.sync_directory.delay(organization_id, confirmed))


def rooms_sync_enqueue(organization: Organization) -> None:
    """Queue a rooms sync once the current transaction commits (rooms turned on, the permission granted)."""
    organization_id = organization.pk
    transaction.on_commit(lambda: tasks.sync_rooms.delay(organization_id))
