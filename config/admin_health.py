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
from django.utils.translation import gettext, ngettext
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


def overlap_parts() -> list[Part]:
    """Overlap's own parts as /healthz checks them, in words an admin reads (no host, port or raw error)."""
    found = {name: health.run_check(check) for name, check in health.CHECKS.items() if name != "beat"}
    database, cache, broker = found["database"], found["cache"], found["broker"]
    return [
        Part(
            "database",
            gettext("Database"),
            bool(database["ok"]),
            gettext("Answers.")
            if database["ok"]
            else gettext("Does not answer: pages and tasks wait for it; what is saved is kept."),
        ),
        Part(
            "cache",
            gettext("Redis (cache, limits, what Overlap's processes tell one another)"),
            bool(cache["ok"]),
            (gettext("Answers.") if cache["kind"] == "redis" else gettext("Local memory (no Redis)."))
            if cache["ok"]
            else gettext("Does not answer: Overlap goes on without it where it can, and catches up once it is back."),
        ),
        Part(
            "broker",
            gettext("Task queue"),
            bool(broker["ok"]),
            (
                gettext("Answers.")
                if broker["kind"] == "redis"
                else gettext("Tasks run inside Overlap itself (no queue).")
            )
            if broker["ok"]
            else gettext("Does not answer: bookings wait, and are sent again once it is back."),
        ),
        _beat_part(),
    ]


def _beat_part() -> Part:
    name = gettext("Scheduler (beat)")
    try:
        age = health.beat_heartbeat_age()
    except Exception:  # the shared cache is Redis: its failure is named above, and here what it hides
        log.warning("Health page: the beat's heartbeat could not be read", exc_info=True)
        return Part("beat", name, False, gettext("Cannot tell: its heartbeat is kept in Redis, which does not answer."))
    if age is None:
        words = gettext(
            "No heartbeat recorded: the sweep of waiting bookings, the read-back from Outlook, connection checks and "
            "the directory sync do not run. Is `celery beat` running?"
        )
        return Part("beat", name, False, words)
    if age > settings.BEAT_HEARTBEAT_STALE_SECONDS:
        words = gettext(
            "No heartbeat for %(duration)s: the sweep of waiting bookings, the read-back from Outlook, connection "
            "checks and the directory sync do not run. Is `celery beat` running?"
        ) % {"duration": _duration(age)}
        return Part("beat", name, False, words)
    return Part("beat", name, True, gettext("Last heartbeat %(duration)s ago.") % {"duration": _duration(age)})


def _duration(seconds: float) -> str:
    if seconds < 120:
        return gettext("%(seconds)d s") % {"seconds": round(seconds)}
    if seconds < 2 * 3600:
        minutes = round(seconds / 60)
        return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    hours = round(seconds / 3600)
    return ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
