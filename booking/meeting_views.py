"""The booking's own pages: the POST that books, the meeting's page (progress, then details), My meetings."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import membership_for, signed_in_user
from accounts.limits import BOOKINGS, SEARCHES, limited
from accounts.models import Membership
from booking import readback, selectors, services
from booking.forms import BookingForm, CancelForm, NewTimeForm
from booking.models import Booking
from booking.services import BookingRefused


@login_required
@require_POST
@limited(BOOKINGS)
def booking_create_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    member = membership_for(request, code)
    form = BookingForm(request.POST, organizer=member)
    if not form.is_valid():
        return _refused(request, member, _problems(form), status=400)
    data = form.cleaned_data
    try:
        booking = services.booking_create(
            organizer=member,
            required=data["required"],
            optional=data["optional"],
            slot=data["slot"],
            subject=data["subject"],
            agenda=data["agenda"],
            teams=data["teams"],
            recurrence=data["recurrence"],
        )
    except BookingRefused as refused:
        return _refused(request, member, [refused.message], status=409)
    return redirect("meeting_detail", code=code, booking=booking.code)


def _problems(form: BookingForm | NewTimeForm) -> list[str]:
    """Every error of the form in words, each field's prefixed with its name."""
    found = [str(error) for error in form.non_field_errors()]
    found += [f"{name}: {error}" for name, errors in form.errors.items() if name != "__all__" for error in errors]
    return found


def _refused(request: HttpRequest, member: Membership, problems: list[str], *, status: int) -> HttpResponse:
    context = {"organization": member.organization, "problems": problems}
    return render(request, "booking/refused.html", context, status=status)


@login_required
@require_GET
def meeting_detail_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    member = membership_for(request, code)
    found = selectors.booking_for(member=member, code=booking)
    template = "booking/_status.html" if request.GET.get("part") == "status" else "booking/meeting.html"
    return render(request, template, _meeting_context(member, found))


def _meeting_context(member: Membership, booking: Booking) -> dict[str, object]:
    return {
        "organization": member.organization,
        "membership": member,
        "booking": booking,
        "State": Booking.State,
        "times": selectors.times_for_everyone(booking=booking, viewer=member.user),
        "is_organizer": selectors.is_organizer(booking=booking, user=member.user),
        "declined": selectors.declined(booking=booking),
        "not_answering": selectors.microsoft_not_answering(booking=booking),
        "history": booking.history.select_related("actor"),
        "search_again": selectors.search_again_query(booking=booking),
    }


@login_required
@require_POST
@limited(BOOKINGS)
def meeting_retry_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    def retry(found: Booking, member: Membership) -> str:
        services.booking_retry(booking=found, actor=signed_in_user(request))
        return ""

    return _change(request, code, booking, retry)


@login_required
@require_POST
def meeting_cancel_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    """Cancelling cannot be undone: the organizer confirms on a page of its own (`confirm=yes`) first."""
    member = membership_for(request, code)
    found = selectors.booking_for(member=member, code=booking)
    services.organizer_only(booking=found, actor=signed_in_user(request))
    form = CancelForm(request.POST)
    asked = found.state == Booking.State.CONFIRMED and request.POST.get("confirm") != "yes"
    if asked or not form.is_valid():
        context = {**_meeting_context(member, found), "form": form}
        return render(request, "booking/cancel_confirm.html", context, status=200 if form.is_valid() else 400)

    def cancel(found: Booking, member: Membership) -> str:
        services.booking_cancel(booking=found, actor=signed_in_user(request), comment=form.cleaned_data["comment"])
        return gettext("The meeting is cancelled; Microsoft 365 told everyone invited.")

    return _change(request, code, booking, cancel)


@login_required
@require_POST
@limited(BOOKINGS)
def meeting_reschedule_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    def reschedule(found: Booking, member: Membership) -> str:
        form = NewTimeForm(request.POST, organizer=member)
        if not form.is_valid():
            raise BookingRefused(" ".join(_problems(form)))
        services.booking_reschedule(booking=found, actor=signed_in_user(request), slot=form.cleaned_data["slot"])
        return gettext("The meeting is moved; everyone invited was told by Microsoft 365.")

    return _change(request, code, booking, reschedule, organizer_only=True)


def _change(
    request: HttpRequest,
    code: uuid.UUID,
    booking: uuid.UUID,
    change: Callable[[Booking, Membership], str],
    *,
    organizer_only: bool = False,
) -> HttpResponse:
    """Apply one change to the member's booking and go back to its page, saying what happened or why not."""
    member = membership_for(request, code)
    found = selectors.booking_for(member=member, code=booking)
    if organizer_only:
        services.organizer_only(booking=found, actor=signed_in_user(request))
    try:
        done = change(found, member)
        if done:
            messages.success(request, done)
    except BookingRefused as refused:
        messages.error(request, refused.message)
    return redirect("meeting_detail", code=code, booking=booking)


@login_required
@require_GET
@limited(SEARCHES)
def meeting_new_times_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    member = membership_for(request, code)
    found = selectors.booking_for(member=member, code=booking)
    services.organizer_only(booking=found, actor=signed_in_user(request))
    if found.state != Booking.State.CONFIRMED:
        messages.error(request, _cannot_move(found))
        return redirect("meeting_detail", code=code, booking=booking)
    context = {**_meeting_context(member, found), "result": services.booking_new_times(booking=found)}
    return render(request, "booking/new_times.html", context)


@login_required
@require_GET
def meetings_view(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    member = membership_for(request, code)
    paused = [r.paused for r in readback.bookings_refresh(member=member) if r.paused]
    context = {
        "organization": member.organization,
        "membership": member,
        "meetings": selectors.my_meetings(member=member),
        "paused": paused,
        "State": Booking.State,
    }
    return render(request, "booking/meetings.html", context)


def _cannot_move(found: Booking) -> str:
    """Only a confirmed meeting moves; each other state says so in its own sentence."""
    if found.state == Booking.State.PENDING:
        return gettext("A meeting still being created cannot be moved.")
    if found.state == Booking.State.FAILED:
        return gettext("A failed meeting cannot be moved.")
    return gettext("A cancelled meeting cannot be moved.")
