"""Celery: a Redis broker when REDIS_URL is set; otherwise tasks run in-process (eager)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("overlap")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
