"""The admins' health page: how Overlap runs for their organization, in one place.

It reads both booking (bookings waiting, failed, read back) and the integration (directory sync, Microsoft not
answering, people to reconnect or not reachable), so it lives here, above both apps.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import admin_membership_for
from booking import selectors as booking_selectors
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
    }
    return render(request, "health/organization.html", context)


def _queue() -> dict[str, object]:
    try:
        return {"depth": queue_depth()}
    except Exception as error:  # any broker failure is what the admin must read, not a 500
        log.warning("Health page: the broker did not answer", exc_info=True)
        return {"error": type(error).__name__}
