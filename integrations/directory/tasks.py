"""The directory sync, as Celery tasks (registered under their old names, which beat and callers use)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from accounts.models import Organization
from integrations.connection.clients import ConnectionNotReady
from integrations.connection.problems import connection_report_error
from integrations.directory.rooms import rooms_sync
from integrations.directory.sync import directory_sync
from integrations.microsoft import errors
from integrations.models import Connection

log = logging.getLogger(__name__)
_MAX_RETRIES = 5


@shared_task(name="integrations.tasks.sync_directory", bind=True, max_retries=_MAX_RETRIES, acks_late=True)
def sync_directory(self: Task[..., str], organization_id: int, confirmed: bool = False) -> str:
    """Bring one organization's members in step with Entra ID; retries when Microsoft is briefly unavailable."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        return directory_sync(organization=organization, confirmed=confirmed).summary
    except ConnectionNotReady as exc:
        return f"skipped: {exc}"
    except errors.MicrosoftError as error:
        if not error.permanent and self.request.retries < _MAX_RETRIES:
            raise self.retry(exc=error, countdown=_backoff(error, self.request.retries)) from error
        log.warning("Directory sync for organization %s failed: %s", organization.pk, error)
        connection_report_error(organization=organization, error=error)  # the admin reads it on the settings page
        return f"failed: {error}"


@shared_task(name="integrations.tasks.sync_all_directories")
def sync_all_directories() -> int:
    """The periodic sync: one task per organization connected domain-wide."""
    ids = list(
        Connection.objects.filter(status=Connection.Status.ACTIVE, mode=Connection.Mode.DOMAIN_WIDE).values_list(
            "organization_id", flat=True
        )
    )
    for organization_id in ids:
        sync_directory.delay(organization_id)
    return len(ids)


@shared_task(name="integrations.tasks.sync_rooms", bind=True, max_retries=_MAX_RETRIES, acks_late=True)
def sync_rooms(self: Task[..., str], organization_id: int) -> str:
    """Bring one organization's rooms in step with the places API (both modes); retries transient errors."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        return rooms_sync(organization=organization).summary
    except ConnectionNotReady as exc:
        return f"skipped: {exc}"
    except errors.MicrosoftError as error:
        if not error.permanent and self.request.retries < _MAX_RETRIES:
            raise self.retry(exc=error, countdown=_backoff(error, self.request.retries)) from error
        log.warning("Rooms sync for organization %s failed: %s", organization.pk, error)
        connection_report_error(organization=organization, error=error)
        return f"failed: {error}"


@shared_task(name="integrations.tasks.sync_all_rooms")
def sync_all_rooms() -> int:
    """The periodic rooms sync: one task per active organization that turned rooms on and was granted them."""
    ids = list(
        Connection.objects.filter(
            status=Connection.Status.ACTIVE, rooms_enabled=True, rooms_granted_at__isnull=False
        ).values_list("organization_id", flat=True)
    )
    for organization_id in ids:
        sync_rooms.delay(organization_id)
    return len(ids)


def _backoff(error: errors.MicrosoftError, retries: int) -> float:
    advised = getattr(error, "retry_after", None)
    return float(advised) if advised else float(30 * 2**retries)
