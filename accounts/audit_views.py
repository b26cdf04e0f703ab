"""The audit trail page (admins only) and its CSV: filter by area, person and days; page back in time."""

from __future__ import annotations

import uuid
from datetime import tzinfo
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.access import admin_membership_for, signed_in_user
from accounts.forms import AuditFilterForm
from accounts.models import Organization
from localtime import zone_or_none

FILTERS = ("area", "person", "since", "until")


@login_required
@require_GET
@never_cache
def audit_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organization = admin_membership_for(request, code).organization
    zone = _viewer_zone(request)
    form = AuditFilterForm(request.GET)
    context = _context(request, organization, form)
    if not form.is_valid():
        return _render(request, context, zone, status=400)
    try:
        after = audit.Cursor.parse(request.GET["after"]) if request.GET.get("after") else None
    except audit.BadCursor as why:
        return _render(request, {**context, "bad_cursor": str(why)}, zone, status=400)
    found = audit.page(form.query(organization=organization, zone=zone), after=after)
    return _render(request, {**context, "page": found, "first_page": after is None}, zone)


@login_required
@require_GET
def audit_csv(request: HttpRequest, code: uuid.UUID) -> HttpResponseBase:
    organization = admin_membership_for(request, code).organization
    zone = _viewer_zone(request)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return _render(request, _context(request, organization, form), zone, status=400)
    lines = audit.csv_lines(form.query(organization=organization, zone=zone), zone=zone)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    day = timezone.localdate(timezone.now(), zone).isoformat()
    response["Content-Disposition"] = f'attachment; filename="overlap-audit-{day}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _viewer_zone(request: HttpRequest) -> tzinfo:
    return zone_or_none(signed_in_user(request).time_zone) or timezone.get_default_timezone()


def _context(request: HttpRequest, organization: Organization, form: AuditFilterForm) -> dict[str, object]:
    kept = urlencode({name: request.GET[name][:100] for name in FILTERS if request.GET.get(name)})
    return {
        "organization": organization,
        "form": form,
        "kept": kept,
        "retention_days": audit.retention_days(),
        "zone_name": getattr(_viewer_zone(request), "key", "UTC"),
    }


def _render(request: HttpRequest, context: dict[str, object], zone: tzinfo, *, status: int = 200) -> HttpResponse:
    with timezone.override(zone):  # every time on the page on the viewer's clock
        return render(request, "accounts/audit.html", context, status=status)
