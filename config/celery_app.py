"""Celery: a Redis broker when REDIS_URL is set; otherwise tasks run in-process (eager).

Worker: `celery --app config.celery_app worker`; beat (one per deployment): `celery --app config.celery_app beat`
(the Procfile has both). A task carries the request id of whoever enqueued it (config/request_id.py).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("overlap")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.bind_for_task, weak=False)
task_postrun.connect(request_id.unbind_for_task, weak=False)
