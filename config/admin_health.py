"""The admins' health page: how Overlap runs for their organization, in one place.

It reads both booking (bookings waiting, failed, read back) and the integration (directory sync, Microsoft not
answering, people to reconnect or not reachable), so it lives here, above both apps. Overlap's own parts come
first, checked as /healthz checks them (database, Redis, the task queue, beat's heartbeat), in words: an admin
reads which part fails while it fails, never a host or a port. When the database itself does not answer, no
page can be shown; every page then answers 503 saying so (config/error_pages.py).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import admin_membership_for
from booking import selectors as booking_selectors
from config import health
from config.health import queue_depth
from integrations.connection import answering
from integrations.connection.lookup import connection_or_blank
from integrations.member_calendars.selectors import members_to_reconnect
from integrations.reach.selectors import unreachable_people

log = logging.getLogger(__name__)
FAILED_FOR = timedelta(days=7)  # failed bookings shown: those of the last week
SHOWN = 50  # rows per list; the counts say how many there are in all


@login_required
@require_GET
@never_cache
def health_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organization = admin_membership_for(request, code).organization
    pending = booking_selectors.pending_bookings(organization=organization)
    failed = booking_selectors.failed_bookings(organization=organization, since=timezone.now() - FAILED_FOR)
    context = {
        "organization": organization,
        "connection": connection_or_blank(organization=organization),
        "last_read_back": booking_selectors.last_read_back(organization=organization),
        "pending": pending[:SHOWN],
        "pending_count": pending.count(),
        "failed": failed[:SHOWN],
        "failed_count": failed.count(),
        "not_answering": answering.last_not_answering(organization=organization),
        "throttled_today": answering.throttled_today(organization=organization),
        "throttled_days": answering.throttled_by_day(organization=organization),
        "to_reconnect": members_to_reconnect(organization=organization),
        "unreachable": unreachable_people(organization=organization)[:SHOWN],
        "queue": _queue(),
        "parts": overlap_parts(),
    }
    return render(request, "health/organization.html", context)


def _queue() -> dict[str, object]:
    try:
        return {"depth": queue_depth()}
    except Exception as error:  # any broker failure is what the admin must read, not a 500
        log.warning("Health page: the broker did not answer", exc_info=True)
        return {"error": type(error).__name__}


@dataclass(frozen=True)
class Part:
    key: str
    name: str
    ok: bool
    words: str


PERIODIC = "the sweep of waiting bookings, the read-back from Outlook, connection checks and the directory sync"


def overlap_parts() -> list[Part]:
    """Overlap's own parts as /healthz checks them, in words an admin reads (no host, port or raw error)."""
    found = {name: health.run_check(check) for name, check in health.CHECKS.items() if name != "beat"}
    database, cache, broker = found["database"], found["cache"], found["broker"]
    return [
        Part(
            "database",
            "Database",
            bool(database["ok"]),
            "Answers." if database["ok"] else "Does not answer: pages and tasks wait for it; what is saved is kept.",
        ),
        Part(
            "cache",
            "Redis (cache, limits, what Overlap's processes tell one another)",
            bool(cache["ok"]),
            ("Answers." if cache["kind"] == "redis" else "Local memory (no Redis).")
            if cache["ok"]
            else "Does not answer: Overlap goes on without it where it can, and catches up once it is back.",
        ),
        Part(
            "broker",
            "Task queue",
            bool(broker["ok"]),
            ("Answers." if broker["kind"] == "redis" else "Tasks run inside Overlap itself (no queue).")
            if broker["ok"]
            else "Does not answer: bookings wait, and are sent again once it is back.",
        ),
        _beat_part(),
    ]


def _beat_part() -> Part:
    name = "Scheduler (beat)"
    try:
        age = health.beat_heartbeat_age()
    except Exception:  # the shared cache is Redis: its failure is named above, and here what it hides
        log.warning("Health page: the beat's heartbeat could not be read", exc_info=True)
        return Part("beat", name, False, "Cannot tell: its heartbeat is kept in Redis, which does not answer.")
    if age is None:
        return Part("beat", name, False, f"No heartbeat recorded: {PERIODIC} do not run. Is `celery beat` running?")
    if age > settings.BEAT_HEARTBEAT_STALE_SECONDS:
        words = f"No heartbeat for {_duration(age)}: {PERIODIC} do not run. Is `celery beat` running?"
        return Part("beat", name, False, words)
    return Part("beat", name, True, f"Last heartbeat {_duration(age)} ago.")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.0f} hours"
