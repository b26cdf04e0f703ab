"""The booking's own pages: the POST that books, the meeting's page (progress, then details), My meetings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import membership_for, signed_in_user
from accounts.limits import BOOKINGS, SEARCHES, limited
from accounts.models import Membership
from booking import readback, selectors, series_changes, services
from booking.forms import (
    BookingForm,
    CancelForm,
    NewTimeForm,
    OccurrenceCancelForm,
    OccurrenceForm,
    OccurrenceMoveForm,
    SeriesMoveForm,
)
from booking.models import Booking, BookingOccurrence
from booking.occurrences import organizer_zone
from booking.services import BookingRefused, RoomTaken

F = TypeVar("F", bound=OccurrenceForm)


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
            near_miss=data.get("near_miss"),
            room=data["room_chosen"],
            room_ask=data["room_ask"],
        )
    except RoomTaken as taken:
        if taken.other is None:
            return _refused(request, member, [taken.message], status=409)
        messages.warning(request, taken.message)
        return redirect(_confirm_with_room(member, request.POST, str(taken.other.code)))
    except BookingRefused as refused:
        return _refused(request, member, [refused.message], status=409)
    return redirect("meeting_detail", code=code, booking=booking.code)


def _confirm_with_room(member: Membership, posted: QueryDict, room: str) -> str:
    """The confirmation page for the same time and people with another room: the member books it, or not."""
    query = posted.copy()
    query.pop("csrfmiddlewaretoken", None)
    query["room"] = room
    return f"{reverse('booking_confirm_page', kwargs={'code': member.organization.code})}?{query.urlencode()}"


def _problems(form: BookingForm | NewTimeForm | OccurrenceForm | SeriesMoveForm) -> list[str]:
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
        "occurrences": selectors.occurrences_of(booking=booking, viewer=member.user),
        "series_at": f"{booking.start.astimezone(organizer_zone(booking)):%H:%M}" if booking.recurrence else "",
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
@require_POST
def meeting_occurrence_cancel_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    """Cancel one occurrence of a series, or it and the following ones (the series ends the day before)."""

    def cancel(found: Booking, member: Membership) -> str:
        form, occurrence = _occurrence_asked(OccurrenceCancelForm(request.POST), found)
        actor, comment = signed_in_user(request), form.cleaned_data["comment"]
        if form.cleaned_data["scope"] == "following":
            series_changes.series_end_from(booking=found, occurrence=occurrence, actor=actor, comment=comment)
            return gettext("This occurrence and the following ones are cancelled; Microsoft 365 told everyone invited.")
        series_changes.occurrence_cancel(booking=found, occurrence=occurrence, actor=actor, comment=comment)
        return gettext("The occurrence is cancelled; Microsoft 365 told everyone invited.")

    return _change(request, code, booking, cancel, organizer_only=True)


@login_required
@require_POST
@limited(BOOKINGS)
def meeting_occurrence_move_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    """Move one occurrence of a series to another time of its day."""

    def move(found: Booking, member: Membership) -> str:
        form, occurrence = _occurrence_asked(OccurrenceMoveForm(request.POST), found)
        slot = series_changes.occurrence_slot(booking=found, occurrence=occurrence, at=form.cleaned_data["at"])
        series_changes.occurrence_reschedule(
            booking=found, occurrence=occurrence, actor=signed_in_user(request), slot=slot
        )
        return gettext("The occurrence is moved; everyone invited was told by Microsoft 365.")

    return _change(request, code, booking, move, organizer_only=True)


@login_required
@require_POST
@limited(BOOKINGS)
def meeting_series_move_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    """Move the whole series to another time of day, every occurrence on its own day, as Outlook does."""

    def move(found: Booking, member: Membership) -> str:
        form = SeriesMoveForm(request.POST)
        if not form.is_valid():
            raise BookingRefused(" ".join(_problems(form)))
        series_changes.series_move(booking=found, actor=signed_in_user(request), at=form.cleaned_data["at"])
        return "The series is moved; everyone invited was told by Microsoft 365."

    return _change(request, code, booking, move, organizer_only=True)


def _occurrence_asked(form: F, found: Booking) -> tuple[F, BookingOccurrence]:
    """The form, checked, and the booking's occurrence it names; an occurrence of no booking of the member's is
    404."""
    if not form.is_valid():
        raise BookingRefused(" ".join(_problems(form)))
    return form, selectors.occurrence_for(booking=found, original_start=form.cleaned_data["occurrence"])


@login_required
@require_POST
@limited(BOOKINGS)
def meeting_reroom_view(request: HttpRequest, code: uuid.UUID, booking: uuid.UUID) -> HttpResponse:
    """One click: another room for the meeting's time, its room having declined."""

    def reroom(found: Booking, member: Membership) -> str:
        room = services.booking_change_room(booking=found, actor=signed_in_user(request))
        return gettext(
            "%(room)s is booked for this meeting; Microsoft 365 invites the room, and its answer shows here."
        ) % {"room": room.name}

    return _change(request, code, booking, reroom, organizer_only=True)


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
