"""The booking page: find colleagues, see the times that suit everyone, pick one; the rules behind it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import membership_for
from accounts.limits import PEOPLE_SEARCHES, SEARCHES, limited
from booking import preferences
from booking.search import page
from booking.search.availability import MOST_OPTIONAL, MOST_REQUIRED
from booking.search.colleagues import colleagues_matching
from localtime import zone_choices


@login_required
@require_GET
@limited(SEARCHES)
def booking_page_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organizer = membership_for(request, code, also=page.ORGANIZER_RELATED)
    finding = page.find_times(organizer=organizer, query=request.GET)
    partial = request.htmx and finding.searched  # type: ignore[attr-defined]
    template = "booking/_results.html" if partial else "booking/page.html"
    context = {
        "organization": organizer.organization,
        "organizer": organizer,
        "f": finding,
        "zones": zone_choices(get_language() or "en", gettext("Other")),
        "most_required": MOST_REQUIRED,
        "most_optional": MOST_OPTIONAL,
    }
    return render(request, template, context)


@login_required
@require_GET
@limited(PEOPLE_SEARCHES)
def booking_people_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organizer = membership_for(request, code)
    found = colleagues_matching(organizer=organizer, query=request.GET.get("q", "")[:100])
    return render(request, "booking/_people.html", {"found": found, "q": request.GET.get("q", "")})


@login_required
@require_GET
def booking_confirm_page_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organizer = membership_for(request, code)
    chosen = page.chosen_slot(organizer=organizer, query=request.GET)
    context = {"organization": organizer.organization, "slot": chosen.form, "chosen": chosen}
    return render(request, "booking/confirm.html", context, status=200 if chosen.form.is_valid() else 400)


@login_required
@require_POST
def booking_time_zone_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    organizer = membership_for(request, code)
    form = preferences.time_zone_save(membership=organizer, data=request.POST)
    if request.htmx and form.is_valid():  # type: ignore[attr-defined]
        return HttpResponse(headers={"HX-Refresh": "true"})  # every time on the page moves to the new zone
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "organization": organizer.organization,
            "tz_form": form,
            "zones": zone_choices(get_language() or "en", gettext("Other")),
        }
        return render(request, "booking/_time_zone.html", context)
    if form.errors:
        messages.error(request, " ".join(str(e) for e in form.errors.get("time_zone", [])))
    return redirect("booking_page", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def booking_rules_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    member = membership_for(request, code)
    form = preferences.rules_form(membership=member, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        messages.success(request, gettext("Booking rules saved."))
        return redirect("booking_rules", code=code)
    return render(
        request, "booking/rules.html", {"organization": member.organization, "membership": member, "form": form}
    )
