"""Background work on organizations' connections: thin tasks that take an id and call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from accounts.models import Organization
from integrations import binding, directory, health, reach
from integrations.connection import ConnectionNotReady, connection_report_error
from integrations.microsoft import errors
from integrations.models import Connection

log = logging.getLogger(__name__)
_MAX_RETRIES = 5


@shared_task(bind=True, max_retries=_MAX_RETRIES, acks_late=True)
def sync_directory(self: Task[..., str], organization_id: int, confirmed: bool = False) -> str:
    """Bring one organization's members in step with Entra ID; retries when Microsoft is briefly unavailable."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        return directory.directory_sync(organization=organization, confirmed=confirmed).summary
    except ConnectionNotReady as exc:
        return f"skipped: {exc}"
    except errors.MicrosoftError as error:
        if not error.permanent and self.request.retries < _MAX_RETRIES:
            raise self.retry(exc=error, countdown=_backoff(error, self.request.retries)) from error
        log.warning("Directory sync for organization %s failed: %s", organization.pk, error)
        connection_report_error(organization=organization, error=error)  # the admin reads it on the settings page
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


@shared_task(acks_late=True)
def check_reach(organization_id: int) -> str:
    """Try every active member's mailbox, in batches, and store who Overlap can reach (the settings page shows
    the progress, then the counts; the people page each person's answer)."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        summary = reach.reach_check(organization=organization)
    except ConnectionNotReady as exc:
        reach.reach_abandoned(organization=organization)
        return f"skipped: {exc}"
    return f"{summary.reachable} of {summary.checked} reachable" + (" (stopped)" if summary.stopped else "")


@shared_task
def check_all_connections() -> int:
    """The periodic connection check (CONNECTION_CHECK_MINUTES): one task per connection in use."""
    ids = health.connections_in_use()
    for organization_id in ids:
        check_connection.delay(organization_id)
    return len(ids)


@shared_task(acks_late=True)
def check_connection(organization_id: int) -> str:
    connection = health.connection_check(organization=Organization.objects.get(pk=organization_id))
    return connection.status if connection else "none"


@shared_task
def release_stale_tenants() -> int:
    """The periodic release of tenants held too long without consent (CONSENT_PENDING_HOURS)."""
    return binding.stale_bindings_release()


def _backoff(error: errors.MicrosoftError, retries: int) -> float:
    advised = getattr(error, "retry_after", None)
    return float(advised) if advised else float(30 * 2**retries)
