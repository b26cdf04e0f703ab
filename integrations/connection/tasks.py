"""The periodic connection check, as Celery tasks (registered under their old names, which beat uses)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organization
from integrations.connection import health


@shared_task(name="integrations.tasks.check_all_connections")
def check_all_connections() -> int:
    """The periodic connection check (CONNECTION_CHECK_MINUTES): one task per connection in use."""
    ids = health.connections_in_use()
    for organization_id in ids:
        check_connection.delay(organization_id)
    return len(ids)


@shared_task(name="integrations.tasks.check_connection", acks_late=True)
def check_connection(organization_id: int) -> str:
    connection = health.connection_check(organization=Organization.objects.get(pk=organization_id))
    return connection.status if connection else "none"
