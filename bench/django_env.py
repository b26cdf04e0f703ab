"""Django for the benchmarks: the database of DATABASE_URL (migrated), tasks in-process, test settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
