"""The reach check, as a Celery task (registered under its old name)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organization
from integrations.connection.clients import ConnectionNotReady
from integrations.reach import check


@shared_task(name="integrations.tasks.check_reach", acks_late=True)
def check_reach(organization_id: int) -> str:
    """Try every active member's mailbox, in batches, and store who Overlap can reach (the settings page shows
    the progress, then the counts; the people page each person's answer)."""
    organization = Organization.objects.get(pk=organization_id)
    try:
        summary = check.reach_check(organization=organization)
    except ConnectionNotReady as exc:
        check.reach_abandoned(organization=organization)
        return f"skipped: {exc}"
    return f"{summary.reachable} of {summary.checked} reachable" + (" (stopped)" if summary.stopped else "")
