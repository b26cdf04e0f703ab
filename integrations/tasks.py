"""Background work on organizations' connections: thin tasks that take an id and call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from accounts.models import Organization
from integrations import directory
from integrations.explain import explain_error
from integrations.microsoft import errors
from integrations.models import Connection
from integrations.services import ConnectionNotReady, connection_record_problem

log = logging.getLogger(__name__)
_MAX_RETRIES = 5


@shared_task(bind=True, max_retries=_MAX_RETRIES, acks_late=True)
def sync_directory(self: Task, organization_id: int) -> str:
    """Bring one organization's members in step with Entra ID; retries when Microsoft is briefly unavailable."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        return directory.directory_sync(organization=organization).summary
    except ConnectionNotReady as exc:
        return f"skipped: {exc}"
    except errors.MicrosoftError as error:
        if not error.permanent and self.request.retries < _MAX_RETRIES:
            raise self.retry(exc=error, countdown=_backoff(error, self.request.retries)) from error
        _record(organization, error)
        return f"failed: {error}"


@shared_task
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


def _backoff(error: errors.MicrosoftError, retries: int) -> float:
    advised = getattr(error, "retry_after", None)
    return float(advised) if advised else float(30 * 2**retries)


def _record(organization: Organization, error: errors.MicrosoftError) -> None:
    """A sync that cannot finish shows on the settings page, so the admin learns of it."""
    log.warning("Directory sync for organization %s failed: %s", organization.pk, error)
    connection = Connection.objects.get(organization=organization)
    connection_record_problem(connection, explain_error(error))
    connection.save()
