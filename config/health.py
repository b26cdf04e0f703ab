"""`/healthz`: whether each configured part answers (database, cache, broker) and beat is alive (a heartbeat newer
than BEAT_HEARTBEAT_STALE_SECONDS). 200 when all are, 503 otherwise.

Anyone (a load balancer, a monitor) sees only the states; staff see the kind, the time and the error, which
can name hosts and ports. Failures are logged either way.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Queue

from config.celery_app import HEARTBEAT_KEY
from config.celery_app import app as celery_app

logger = logging.getLogger(__name__)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def _cache() -> str:
    key = f"healthz:{uuid.uuid4()}"
    cache.set(key, "ok", 5)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)
    return "redis" if settings.REDIS_URL else "local memory"


def _broker() -> str:
    if celery_app.conf.task_always_eager:  # Celery's own word (CELERY_TASK_ALWAYS_EAGER), as queue_depth reads it
        return "in-process"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
    return "redis"


def beat_heartbeat_age() -> float | None:
    """Seconds since a beat last recorded its heartbeat; None when none has. Raises what the shared cache raised
    when it does not answer."""
    beat = caches["shared"].get(HEARTBEAT_KEY)
    return None if beat is None else max(time.time() - float(beat), 0.0)


def _beat() -> str:
    """Beat records a heartbeat each time it wakes (at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds)."""
    age = beat_heartbeat_age()
    if age is None:
        raise RuntimeError("no beat has recorded a heartbeat: is `celery beat` running?")
    if age > settings.BEAT_HEARTBEAT_STALE_SECONDS:
        raise RuntimeError(f"the beat's last heartbeat is {age:.0f} s old: is `celery beat` running?")
    return f"heartbeat {age:.0f} s ago"


def queue_depth() -> int | None:
    """Tasks waiting in the broker's queue (not yet taken by a worker); None when tasks run in-process. Raises
    what the broker raised when it does not answer."""
    if celery_app.conf.task_always_eager:
        return None
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        # A declare (not a passive one) answers for an empty queue too, which Redis keeps as no key at all.
        queue = Queue(celery_app.conf.task_default_queue, channel=conn.default_channel)
        declared: Any = queue.queue_declare()  # kombu's (name, message count, consumers); its stubs say str
        return int(declared.message_count)


CHECKS: dict[str, Callable[[], str]] = {"database": _database, "cache": _cache, "broker": _broker, "beat": _beat}


def run_check(check: Callable[[], str]) -> dict[str, object]:
    """One check: {"ok": True, "kind", "ms"} or {"ok": False, "error"}, whatever it raised (and logged)."""
    started = time.monotonic()
    try:
        kind = check()
    except Exception as exc:  # a health check reports every failure, whatever its kind
        logger.warning("Health check %s failed", getattr(check, "__name__", check), exc_info=True)
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "kind": kind, "ms": round((time.monotonic() - started) * 1000, 1)}


def _visible(part: dict[str, object], request: HttpRequest) -> dict[str, object]:
    """The whole report for staff; the state alone for everyone else."""
    user = getattr(request, "user", None)
    return part if user is not None and user.is_staff else {"ok": part["ok"]}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    parts = {name: run_check(check) for name, check in CHECKS.items()}
    healthy = all(part["ok"] for part in parts.values())
    shown = {name: _visible(part, request) for name, part in parts.items()}
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": shown}, status=200 if healthy else 503)
