"""Celery: a Redis broker when REDIS_URL is set; otherwise tasks run in-process (eager).

Worker: `celery --app config.celery_app worker`; beat: `celery --app config.celery_app beat` (the Procfile has
both). Beat is `OneBeatScheduler`: a second beat (started by mistake, or a failover while the first still runs)
sends no job twice, and records a heartbeat each time it wakes (`/healthz` reads it). A task carries the request
id of whoever enqueued it (config/request_id.py).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.signals import before_task_publish, task_postrun, task_prerun

from config import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("overlap")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.bind_for_task, weak=False)
task_postrun.connect(request_id.unbind_for_task, weak=False)

log = logging.getLogger(__name__)
CLAIMED_SHARE = 0.9  # of a job's interval: a little less, so that a beat's own next run is never refused
HEARTBEAT_KEY = "beat:heartbeat"  # when a beat last woke (seconds since the epoch), read by /healthz


class OneBeatScheduler(PersistentScheduler):
    """Celery's beat, safe to run more than once: each due job is sent by the beat that first claims this run of
    it in the shared cache (Redis in production), for most of the job's interval; the others skip it."""

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        if periodic_run_claim(name=str(entry.name), every=getattr(entry.schedule, "run_every", None)):
            super().apply_entry(entry, producer=producer)
        else:
            log.info("beat: %s was sent by another beat this round", entry.name)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        beat_heartbeat()
        return float(super().tick(*args, **kwargs))


def beat_heartbeat() -> None:
    """Record that a beat is alive, in the cache every process reads (Redis, or a file in the demo)."""
    from django.core.cache import caches
    from redis.exceptions import RedisError

    try:
        caches["shared"].set(HEARTBEAT_KEY, time.time(), timeout=None)
    except (RedisError, OSError) as error:  # /healthz will say the heartbeat is stale, which is the truth
        log.warning("beat: heartbeat not recorded (%s)", error)


def periodic_run_claim(*, name: str, every: timedelta | None) -> bool:
    """True for the first caller of this run of periodic job `name` (every `every`, a minute when not fixed)."""
    from django.core.cache import cache
    from redis.exceptions import RedisError

    seconds = (every or timedelta(minutes=1)).total_seconds() * CLAIMED_SHARE
    try:
        return bool(cache.add(f"beat-run:{name}", os.getpid(), timeout=max(1, seconds)))
    except RedisError as error:  # Redis is the broker too: nothing could be sent this round anyway
        log.warning("beat: %s not sent, the cache does not answer (%s)", name, error)
        return False
