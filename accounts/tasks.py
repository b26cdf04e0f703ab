"""accounts' background work: keeping the audit trail no longer than AUDIT_RETENTION_DAYS."""

from __future__ import annotations

from celery import shared_task

from accounts import audit


@shared_task
def audit_prune() -> str:
    """Daily: delete audit entries older than the retention (each source deletes its own)."""
    gone = audit.prune()
    return ", ".join(f"{name}: {count}" for name, count in sorted(gone.items()))
