"""Django for the benchmarks: the database of DATABASE_URL (migrated), tasks in-process, test settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def django_ready() -> None:
    """Set Django up once (idempotent) and bring the database of DATABASE_URL up to date."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django
    from django.apps import apps

    if apps.ready:
        return
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def domain_wide_connection(organization: Any, emulator: Any) -> Any:
    """An active domain-wide connection of `organization` to the emulator's Contoso, as after an admin's consent."""
    from integrations.models import Connection

    return Connection.objects.create(
        organization=organization,
        tenant=emulator.tenant_domain,
        mode=Connection.Mode.DOMAIN_WIDE,
        status=Connection.Status.ACTIVE,
        tenant_guid=emulator.tenant_id,
    )
