"""A tenant proven before its consent is only held for the organization, never owned.

An admin's sign-in proves the tenant (`services.tenant_bind`), but only a consent that works connects it.
Until then the binding is pending: a declined consent lets it go at once, and one not given within
CONSENT_PENDING_HOURS lets it go too (a periodic task, and lazily whenever someone else tries to bind the
tenant), so that nobody can hold a tenant for good by starting and never consenting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from integrations.models import Connection


def pending_since_before() -> datetime:
    """Pending bindings proven before this instant have waited too long for their consent."""
    return timezone.now() - timedelta(hours=settings.CONSENT_PENDING_HOURS)


def binding_release(*, connection: Connection, actor: User | None, why: str) -> bool:
    """Let go of the connection's tenant if it still waits for consent; whether it did."""
    if not connection.binding_pending:
        return False
    tenant = connection.tenant_guid
    connection.release_tenant(actor=actor, detail=f"Tenant {tenant} released: {why}")
    return True


def stale_bindings_release(*, tenant: str | None = None) -> int:
    """Release every pending binding (of `tenant` only, when given) older than CONSENT_PENDING_HOURS."""
    stale = Connection.objects.filter(
        status=Connection.Status.AWAITING_CONSENT, tenant_proven_at__lt=pending_since_before()
    ).exclude(tenant_guid="")
    if tenant is not None:
        stale = stale.filter(tenant_guid=tenant)
    released = 0
    for pk in stale.values_list("pk", flat=True):
        released += _release_if_still_stale(pk)
    return released


def _release_if_still_stale(pk: int) -> int:
    # Locked and asked again: a consent that completed since the query must keep its tenant.
    with transaction.atomic():
        connection = Connection.objects.select_for_update().select_related("organization").get(pk=pk)
        if connection.held_until is None or connection.held_until > timezone.now():
            return 0
        hours = settings.CONSENT_PENDING_HOURS
        return int(binding_release(connection=connection, actor=None, why=f"no consent within {hours} hours"))
