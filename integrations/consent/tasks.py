"""The periodic release of tenants held too long without consent, as a Celery task (its old name kept)."""

from __future__ import annotations

from celery import shared_task

from integrations.consent import binding


@shared_task(name="integrations.tasks.release_stale_tenants")
def release_stale_tenants() -> int:
    """The periodic release of tenants held too long without consent (CONSENT_PENDING_HOURS)."""
    return binding.stale_bindings_release()
