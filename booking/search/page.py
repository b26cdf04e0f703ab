"""The booking page: read the member's search, ask for availability, and lay out the answer; and the times a
meeting could move to."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from html import escape
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

import integrations.calendars as calendars
from accounts.models import Membership
from booking import engine
from booking.engine.recurrence import occurrence_dates
from booking.models import Booking
from booking.occurrences import NearMiss
from booking.rules import BookingRules, booking_rules_of
from booking.search.availability import (
    CACHE_SECONDS,
    SearchResult,
    Suggestion,
    availability_search,
    cached_free_busy_digest,
    member_zone,
)
from booking.search.forms import ConfirmLinkForm, SearchForm, next_working_days
from booking.search.results import RoomPick, TheirTime, named_zone, their_times
from booking.search.room_form import room_query, usual_room_list
from booking.search.series import SeriesAnswer
from booking.search.series_form import series_query
from booking.search.series_page import series_answer_html
from booking.series_words import series_in_words
from localtime import grid_start, reading

ANSWER_SECONDS = CACHE_SECONDS  # no longer than the free/busy it was made from is kept
# Days of times laid out by the first answer; "Show more days" asks for the rest (`from`). A range of empty
# calendars has about 25 times a day, and laying out and rendering every one was most of a search's time.
FIRST_DAYS = 3
# Read with the organizer's membership (`accounts.access.membership_for`'s `also`): every search reads them.
ORGANIZER_RELATED = ("organization__booking_rules", *calendars.READINESS_RELATED)


@dataclass(frozen=True)
class Choice:
    """A suggested time as the page shows it: in the member's zone, with the link that picks it."""

    suggestion: Suggestion
    local_start: datetime
    local_end: datetime
    url: str
    # "HH:MM" of the start, and each colleague's (name, "HH:MM" with the weekday when it is another day, zone):
    # the day lists show hundreds of times, and formatting them here costs a fraction of the template's filter.
    clock: str = ""
    local_clocks: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Day:
    day: datetime
    choices: tuple[Choice, ...]

    @property
    def times_html(self) -> SafeString:
        """The day's list items, each time a link with the colleagues' clocks and flags.

        Made here rather than by the template: a range of empty calendars has hundreds of times a day, and the
        template language took most of a search's time to loop over them. Every value is escaped as the template
        would escape it (Django's `escape` is the standard library's, made a SafeString: the same text).
        """
        return mark_safe("".join(map(_time_item, self.choices)))  # noqa: S308  (each part escaped)


@dataclass
class Finding:
    """Everything the page shows: the form, why a search cannot run, and the times found."""

    form: SearchForm
    rules: BookingRules
    zone: tzinfo
    readiness: calendars.Readiness
    searched: bool = False
    result: SearchResult | None = None
    best: tuple[Choice, ...] = ()
    days: tuple[Day, ...] = ()
    chosen: list[tuple[Membership, bool, bool]] = field(default_factory=list)  # (person, required, widened)
    # The zone of the member's own Outlook working hours when its clock is not the page's: the page offers it.
    outlook_zone: str = ""
    # When nothing fits: each near miss and the link that applies it to the search.
    ways: tuple[tuple[engine.NearMiss, str], ...] = ()
    # The answer's part of the page (templates/booking/_answer.html), as made or as kept from an identical search.
    answer_html: str = ""  # a SafeString once made
    series: SeriesAnswer | None = None  # the answer of a series search (`series_page`)
    # The query's `from`: the days from this one on are asked for (templates/booking/_more_days.html).
    days_from: date | None = None
    # The days with times that `days` leaves out, and the link that shows them.
    more_days: tuple[date, ...] = ()
    more_url: str = ""
    # The organization's room lists (buildings), for the "Room" fields; empty when rooms are not offered.
    room_lists: tuple[calendars.RoomList, ...] = ()


def find_times(*, organizer: Membership, query: QueryDict) -> Finding:
    """The page for this query: an empty form with the defaults, or the search's answer (or its refusals).

    Nothing is asked of Microsoft unless the whole request is valid and the connection can be used.
    """
    rules = booking_rules_of(organization=organizer.organization)
    zone = member_zone(organizer)
    today = timezone.now().astimezone(zone).date()
    readiness = calendars.calendar_readiness(organizer=organizer)
    searched = "minutes" in query
    data = query if searched else None
    initial = _initial(rules, today) | ({"room_list": usual_room_list(organizer)} if readiness.rooms else {})
    form = SearchForm(data, organizer=organizer, rules=rules, zone=zone, today=today, initial=initial)
    finding = Finding(form, rules, zone, readiness, searched=searched, days_from=_days_from(query))
    if readiness.rooms:
        finding.room_lists = tuple(calendars.RoomList.objects.filter(organization_id=organizer.organization_id))
    if not searched or not form.is_valid():
        return finding
    finding.chosen = _chosen(form)
    if readiness.problem:
        return finding
    if form.cleaned_data["room_ask"] is not None and not readiness.rooms:
        form.add_error(None, "Rooms are not turned on for your organization: ask your admin, or search with no room.")
        return finding
    not_enabled = _not_enabled(organizer, form)
    if not_enabled:
        form.add_error(None, not_enabled)
        return finding
    return _answer(finding, organizer, form)


@dataclass(frozen=True)
class ChosenSlot:
    """The confirmation link's parameters, validated, and the time in the member's zone."""

    form: ConfirmLinkForm
    zone: tzinfo
    local_start: datetime | None = None
    local_end: datetime | None = None
    others: tuple[TheirTime, ...] = ()
    series: str = ""  # "Weekly on Tuesday, 26 times, until 24 Aug 2027" for a series
    series_params: tuple[tuple[str, str], ...] = ()  # carried on to the booking
    changes: str = ""  # a near miss booked anyway: "14 Apr moved to 15:00, 21 Apr skipped"
    room: calendars.Room | None = None  # the room that goes with the time
    room_params: tuple[tuple[str, str], ...] = ()  # carried on to the booking


def chosen_slot(*, organizer: Membership, query: QueryDict) -> ChosenSlot:
    """The chosen slot's parameters, validated (the confirmation step)."""
    rules = booking_rules_of(organization=organizer.organization)
    form, zone = ConfirmLinkForm(query, organizer=organizer, rules=rules), member_zone(organizer)
    if not form.is_valid():
        return ChosenSlot(form, zone)
    data = form.cleaned_data
    start = data["start"].astimezone(zone)
    end = start + timedelta(minutes=data["minutes"])
    others = their_times([*data["required_members"], *data["optional_members"]], start, end)
    room = data["room_chosen"]
    rooms = (*room_query(data, str(data.get("room_list") or "")), ("room", str(room.code))) if room else ()
    recurrence = data.get("recurrence")
    if recurrence is None:
        return ChosenSlot(form, zone, start, end, others, room=room, room_params=rooms)
    words = series_in_words(recurrence, occurrence_dates(recurrence))
    changes = (data.get("near_miss") or NearMiss()).words
    return ChosenSlot(
        form, zone, start, end, others, words, tuple(series_query(data)), changes, room=room, room_params=rooms
    )


def _initial(rules: BookingRules, today: date) -> dict[str, object]:
    start, end = next_working_days(today)
    return {
        "minutes": rules.default_duration_minutes,
        "start_date": start,
        "end_date": end,
        "teams": True,
        "room_mode": "",
    }


def _chosen(form: SearchForm) -> list[tuple[Membership, bool, bool]]:
    widened = {m.pk for m in form.cleaned_data["widened_members"]}
    people = [(m, True) for m in form.cleaned_data["required_members"]]
    people += [(m, False) for m in form.cleaned_data["optional_members"]]
    return [(m, required, m.pk in widened) for m, required in people]


def _not_enabled(organizer: Membership, form: SearchForm) -> str:
    """Say before asking Microsoft: anyone chosen without a mailbox in the directory cannot be invited at all; a
    required person the admin's security group keeps out cannot be searched (optional, they can)."""
    required, optional = form.cleaned_data["required_members"], form.cleaned_data["optional_members"]
    outside = calendars.not_enabled(organizer=organizer, people=[*required, *optional])
    no_record = [m.user.display_name for m in [*required, *optional] if m.pk in outside and outside[m.pk].no_mailbox]
    if no_record:
        return gettext("%(names)s: %(why)s. Leave them out of this meeting.") % {
            "names": reading.listed(no_record, get_language() or "en"),
            "why": gettext(calendars.NO_RECORD),
        }
    names = [m.user.display_name for m in required if m.pk in outside]
    if not names:
        return ""
    return gettext(
        "%(names)s: not enabled by your admin (outside the security group). Ask your admin, or make them optional."
    ) % {"names": reading.listed(names, get_language() or "en")}


def _answer(finding: Finding, organizer: Membership, form: SearchForm) -> Finding:
    """The search's answer, laid out; kept briefly with the free/busy it was ranked from (`_answer_key`), so that
    the same search again, as htmx sends it while that free/busy is cached, renders nothing afresh. A series has its
    own answer (`series_page`)."""
    if form.cleaned_data.get("recurrence") is not None:
        return _series(finding, organizer, form)
    key = _answer_key(finding, organizer, form)
    kept = _kept(finding, organizer, form, key) if key else None
    if kept is None:
        _search(finding, organizer, form)
    # After the search: it records the member's Outlook zone as Microsoft tells it.
    finding.outlook_zone = _other_outlook_zone(organizer, finding.zone)
    if kept is not None:
        finding.answer_html = mark_safe(kept)  # noqa: S308  (rendered by the template engine, escaped there)
        return finding
    context = {"f": finding, "organization": organizer.organization}
    template = "booking/_more_days.html" if finding.days_from else "booking/_answer.html"
    finding.answer_html = mark_safe(render_to_string(template, context))  # noqa: S308  (escaped)
    if key and _keepable(finding):
        assert finding.result is not None  # a keepable finding has its result
        # Under the key as it is now: the search may have learnt the member's Outlook zone, which the key names.
        kept_with = (finding.result.free_busy, str(finding.answer_html))
        cache.set(_answer_key(finding, organizer, form), kept_with, ANSWER_SECONDS)
    return finding


def _kept(finding: Finding, organizer: Membership, form: SearchForm, key: str) -> str | None:
    """The answer kept for this search, if the cache holds the very free/busy it was ranked from (read with it, in
    one round trip); else None."""
    data, (start, end) = form.cleaned_data, form.window
    people = [*data["required_members"], *data["optional_members"]]
    free_busy, kept = cached_free_busy_digest(
        organizer=organizer, people=people, window_start=start, window_end=end, rules=finding.rules, along=key
    )
    if not free_busy or not isinstance(kept, tuple) or kept[0] != free_busy:
        return None
    return str(kept[1])


def _series(finding: Finding, organizer: Membership, form: SearchForm) -> Finding:
    data = form.cleaned_data
    finding.series, finding.answer_html = series_answer_html(
        organizer=organizer,
        data=data,
        recurrence=data["recurrence"],
        required=data["required_members"],
        optional=data["optional_members"],
        context={"f": finding, "organization": organizer.organization},
    )
    return finding


def _search(finding: Finding, organizer: Membership, form: SearchForm) -> None:
    start, end = form.window
    data = form.cleaned_data
    result = availability_search(
        organizer=organizer,
        required=data["required_members"],
        optional=data["optional_members"],
        minutes=data["minutes"],
        window_start=start,
        window_end=end,
        widened=data["widened_members"],
        rules=finding.rules,
        graph_suggests=finding.readiness.graph_suggests,
        room=data["room_ask"],
    )
    base = _confirm_base(organizer, data)
    finding.result = result
    finding.best = tuple(_choice(s, finding.zone, base) for s in result.best)
    # In individual mode every day is laid out: the rest would ask Microsoft's findMeetingTimes again.
    first_days = None if finding.readiness.graph_suggests else FIRST_DAYS
    shown, finding.more_days = _shown(result.slots, finding.zone, finding.days_from, first_days)
    finding.days = _by_day(_choice(s, finding.zone, base) for s in shown)
    if finding.more_days:
        finding.more_url = _more_url(organizer, form, finding.more_days[0])
    finding.ways = tuple((miss, _applied(organizer, form, miss, finding.zone)) for miss in result.hard.near)


def _days_from(query: QueryDict) -> date | None:
    """The query's `from` day (ISO), or None when it has none or it is not a date (the first days are shown)."""
    try:
        return date.fromisoformat(query.get("from", ""))
    except ValueError:
        return None


def _shown(
    slots: Sequence[Suggestion], zone: tzinfo, days_from: date | None, first_days: int | None
) -> tuple[list[Suggestion], tuple[date, ...]]:
    """The times to lay out, and the days with times left for "Show more days": from `days_from` on, every time;
    else those of the first `first_days` days with times (every one when None). Only these become `Choice`s and
    HTML."""
    dates = [slot.start.astimezone(zone).date() for slot in slots]
    if days_from is not None:
        return [slot for slot, day in zip(slots, dates, strict=True) if day >= days_from], ()
    days = tuple(dict.fromkeys(dates))
    if first_days is None or len(days) <= first_days:
        return list(slots), ()
    cut = days[first_days]
    return [slot for slot, day in zip(slots, dates, strict=True) if day < cut], days[first_days:]


def _more_url(organizer: Membership, form: SearchForm, day: date) -> str:
    """The booking page's link for the same search's times from `day` on."""
    assert isinstance(form.data, QueryDict)  # the page's GET
    query = form.data.copy()
    query["from"] = day.isoformat()
    return _page_url(organizer, query)


def _page_url(organizer: Membership, query: QueryDict) -> str:
    path = reverse("booking_page", kwargs={"code": organizer.organization.code})
    return f"{path}?{query.urlencode()}"


def _keepable(finding: Finding) -> bool:
    """An answer that came from the cached free/busy alone: some time found (no later weeks read), everyone read."""
    result = finding.result
    return result is not None and bool(result.slots) and not result.unreadable and not result.failed


def _answer_key(finding: Finding, organizer: Membership, form: SearchForm) -> str:
    """The cache key of this search's answer: the query, who asks and in which zone and language, the people's
    names, the rules, the first start the grid allows after now and the notice, and today's date (the only ways
    `now` reaches the answer); the free/busy it was ranked from is kept with it (`_kept`). "" when it is not kept
    (individual mode also asks findMeetingTimes; rooms are read afresh each time)."""
    if finding.readiness.graph_suggests or form.cleaned_data["room_ask"] is not None:
        return ""  # rooms' free/busy is read afresh each time (booked by everyone), so such answers are not kept
    assert isinstance(form.data, QueryDict)  # the page's GET
    data, rules, now = form.cleaned_data, finding.rules, timezone.now()
    people = [*data["required_members"], *data["optional_members"]]
    # The engine starts no sooner than the first grid mark after now plus the notice (whole minutes): an answer
    # holds until that mark moves, a quarter of an hour with the default grid, or the date does.
    earliest_minute = (now + rules.minimum_notice + timedelta(seconds=59, microseconds=999_999)).replace(
        second=0, microsecond=0
    )
    first_start = grid_start(earliest_minute, rules.granularity, finding.zone)
    user = organizer.user
    parts = (
        organizer.pk,
        (user.time_zone, user.mailbox_time_zone, user.display_name, get_language()),
        sorted(form.data.lists()),
        [(m.pk, m.user.display_name, m.user.time_zone) for m in people],
        (rules.pk, rules.updated.isoformat()),
        first_start.isoformat(),
        now.astimezone(finding.zone).date().isoformat(),
    )
    return "booking-answer:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _applied(organizer: Membership, form: SearchForm, miss: engine.NearMiss, zone: tzinfo) -> str:
    """The booking page's link for the same search with this near miss applied."""
    assert isinstance(form.data, QueryDict)  # the page's GET
    query = form.data.copy()
    if miss.kind == "optional":
        query.setlist("required", [v for v in query.getlist("required") if v != miss.person_id])
        query.setlist("optional", [*query.getlist("optional"), miss.person_id])
        query.setlist("widen", [v for v in query.getlist("widen") if v != miss.person_id])
    elif miss.kind == "stretch":  # searched outside their hours, the time is flagged as such
        query.setlist("widen", [*query.getlist("widen"), miss.person_id])
    elif miss.kind == "shorter":
        query["minutes"] = str(miss.minutes)
    else:
        query["start_date"] = query["end_date"] = miss.start.astimezone(zone).date().isoformat()
    return _page_url(organizer, query)


def _other_outlook_zone(organizer: Membership, page_zone: tzinfo) -> str:
    """The member's Outlook zone (as the search just read it) when its clock differs from the page's this year."""
    name = organizer.user.mailbox_time_zone
    outlook = named_zone(name)
    if outlook is None:
        return ""
    now = timezone.now()
    moments = (now, now + timedelta(days=182))  # both halves of the year: a daylight-saving change may differ
    return (
        name if any(m.astimezone(outlook).utcoffset() != m.astimezone(page_zone).utcoffset() for m in moments) else ""
    )


def _by_day(choices: Iterable[Choice]) -> tuple[Day, ...]:
    """Every time grouped by the local day it starts on (each day as its local midnight), in their order."""
    days: dict[date, list[Choice]] = {}
    for choice in choices:
        days.setdefault(choice.local_start.date(), []).append(choice)
    return tuple(
        Day(found[0].local_start.replace(hour=0, minute=0, second=0, microsecond=0), tuple(found))
        for found in days.values()
    )


def _confirm_base(organizer: Membership, data: Mapping[str, object]) -> tuple[str, str]:
    """The confirmation link's path and its query after `start` (the same for every time on the page)."""
    path = reverse("booking_confirm_page", kwargs={"code": organizer.organization.code})
    params: list[tuple[str, str]] = [("minutes", str(data["minutes"]))]
    params += [("required", str(m.user.uuid)) for m in _members(data["required_members"])]
    params += [("optional", str(m.user.uuid)) for m in _members(data["optional_members"])]
    params += [("subject", str(data["subject"])), ("agenda", str(data["agenda"]))]
    if data["teams"]:
        params.append(("teams", "on"))
    params += room_query(dict(data), str(data.get("room_list") or ""))
    return path, urlencode(params)


def _members(value: object) -> Sequence[Membership]:
    assert isinstance(value, list)
    return value


def _time_item(choice: Choice) -> str:
    their = gettext("%(clock)s for %(name)s (%(zone)s)")
    local = "".join(
        f' <span class="local">· {their % {"clock": clock, "name": escape(name), "zone": escape(zone)}}</span>'
        for name, clock, zone in choice.local_clocks
    )
    flags = "".join(f' <span class="badge warn">{escape(flag)}</span>' for flag in choice.suggestion.flags)
    room = choice.suggestion.room
    where = f' <span class="room">· {escape(room.name)}</span>' if room else ""
    return f'<li><a href="{escape(choice.url)}">{choice.clock}</a>{where}{local}{flags}</li>'


def _choice(suggestion: Suggestion, zone: tzinfo, base: tuple[str, str]) -> Choice:
    path, query = base
    # urlencode's quoting of this fixed format, written out: only the colons need it (":" is "%3A").
    start = suggestion.start.astimezone(UTC).strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ")
    url = f"{path}?start={start}&{query}" + _room_param(suggestion.room)
    local_start = suggestion.start.astimezone(zone)
    language = get_language() or "en"
    clocks = tuple((name, _their_clock(t, local_start, language), z) for name, t, z in suggestion.local_times)
    end = suggestion.end.astimezone(zone)
    return Choice(suggestion, local_start, end, url, reading.clock(local_start, language), clocks)


def _their_clock(their: datetime, yours: datetime, language: str) -> str:
    """A colleague's clock at a time, with their weekday when their day is not the reader's ("9:00 PM Mon")."""
    clock = reading.clock(their, language)
    return clock if their.date() == yours.date() else f"{clock} {reading.day(their, 'weekday', language)}"


def _room_param(room: RoomPick | None) -> str:
    return f"&room={room.code}" if room else ""  # a UUID: nothing to quote


NEW_TIMES_DAYS = 7


def new_times_for(*, booking: Booking, required: Sequence[Membership], optional: Sequence[Membership]) -> SearchResult:
    """Times to move the meeting to, for its people (`booking.selectors.booking_people`) and duration, in the
    next week. The meeting's own time shows as busy in everyone's calendar, so it is never suggested. Fresh
    answers need the cache dropped first (`booking.services.booking_new_times`)."""
    now = timezone.now()
    return availability_search(
        organizer=booking.organizer,
        required=required,
        optional=optional,
        minutes=booking.minutes,
        window_start=now,
        window_end=now + timedelta(days=NEW_TIMES_DAYS),
    )
