"""Where availability comes from: Microsoft's free/busy ranked by Overlap's engine, or Microsoft's own suggestions.

In both modes one HTTP request (through `calendars.free_busy`: the tenant's mailbox domain-wide, the member's own
`/me` in individual mode; one getSchedule for up to 20 people, a $batch of them beyond) reads the organizer and
everyone asked; each mailbox's answer is cached briefly per
organization, mailbox and window, so that a second search in that time asks Microsoft nothing, and
`availability_forget` drops it when Overlap books. Overlap's engine ranks it under the organization's rules. In
individual mode Graph's findMeetingTimes, asked once per search as the organizer, also says which times it
offers, and only those are shown (`booking.search.microsoft_offers`). Only busy times, statuses and working
hours are kept: the client drops subjects and locations before anything here sees them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time as clock
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language, gettext

import integrations.calendars as calendars
from accounts.models import Membership, Organization
from accounts.services import users_mailbox_zones_record
from booking import engine
from booking.rules import BookingRules, booking_rules_of
from booking.search import merged_reads
from booking.search.microsoft_offers import delegated_suggestions, graph_offered
from booking.search.results import (
    CouldNotRead,
    Hard,
    RoomPick,
    RoomsAnswer,
    SearchResult,
    SlotCheck,
    Suggestion,
    Wanted,
    zone_label,
)
from booking.search.rooms import RoomAsk, rooms_answer, rooms_read, with_rooms
from booking.search.schedules import ViewGrid, busy_from_view, person_from_schedule
from booking.search.words import vocabulary
from localtime import reading, zone_or_none

__all__ = [
    "CouldNotRead",
    "SearchResult",
    "SlotCheck",
    "Suggestion",
    "availability_check_slot",
    "availability_check_times",
    "availability_forget",
    "availability_search",
    "cached_free_busy_digest",
    "member_zone",
]

# Graph's getSchedule reads at most 20 schedules a call, the organizer's included: that many required people (you
# and 19 colleagues) are read in one call; optional people on top go in a second call of the same $batch.
GRAPH_SCHEDULES = 20
MOST_REQUIRED = GRAPH_SCHEDULES - 1  # required colleagues in one search
MOST_OPTIONAL = GRAPH_SCHEDULES  # optional colleagues in one search
CACHE_SECONDS = 120
FEW = 5  # fewer times than this, and the page also shows who blocks each day
LATER_DAYS = 56  # how far beyond the range to look for the earliest time (getSchedule reads under 62 days)
_INTERVAL = 15  # minutes of getSchedule's availabilityView
_DEFAULT_DAYS = frozenset(range(5))
WINDOW = timedelta(days=61)  # getSchedule's window must be under 62 days


def availability_search(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    minutes: int,
    window_start: datetime,
    window_end: datetime,
    widened: Sequence[Membership] = (),
    now: datetime | None = None,
    rules: BookingRules | None = None,
    graph_suggests: bool | None = None,
    room: RoomAsk | None = None,
) -> SearchResult:
    """Times for the organizer and the colleagues in [window_start, window_end), best first, with reasons.

    Domain-wide: one getSchedule (or the cache) ranked by Overlap's engine under the organization's rules
    (blocking statuses, notice, buffers, grid); a required person whose free/busy cannot be read fails the
    search closed; `widened` people may be booked outside their working hours (each such time is flagged).
    Individual mode: the same, less the times Graph's findMeetingTimes does not offer
    (see `booking.search.microsoft_offers`).
    Raises `ValueError` for a request the page should have refused, and `calendars.ConnectionNotReady` when the
    organization is not connected; Microsoft's refusals come back as a failed result with the reason.
    `rules` and `graph_suggests` (the organization's mode, as `calendars.calendar_readiness` told it) spare
    reading them again when the caller has just read them. With `room`, only times with a fitting room free for
    the whole time are offered, each naming its room (`booking.search.rooms`).
    """
    _check_people(organizer, [*required, *optional, *widened])
    wanted = Wanted(
        organizer=organizer,
        required=required,
        optional=optional,
        widened=widened,
        duration=timedelta(minutes=minutes),
        start=window_start,
        end=window_end,
        now=now or timezone.now(),
        rules=rules or booking_rules_of(organization=organizer.organization),
        zone=member_zone(organizer),
    )
    if graph_suggests is None:
        graph_suggests = calendars.graph_suggests_times(organizer=organizer)
    try:
        found = delegated_suggestions(wanted) if graph_suggests else None
        read_start, read_end = read_window(window_start, window_end, wanted.rules)
        schedules = _free_busy(organizer, [organizer, *required, *optional], read_start, read_end)
    except calendars.CalendarError as error:
        failed = gettext("Microsoft 365 did not answer the search: %(why)s") % {"why": error.reason}
        return SearchResult(source="microsoft", failed=failed)
    people = engine_people(organizer, required, optional, schedules, read_start)
    _learn_zones([organizer, *required, *optional], schedules)
    request = engine_request(wanted)
    ranked = engine.search(people, request)
    shown = graph_offered(ranked, found, wanted, people) if graph_suggests else ranked
    hard = _hard(people, request, shown, wanted, graph=graph_suggests)
    source = "microsoft" if graph_suggests else "overlap"
    if room is None:
        used = [schedules[pk] for pk in dict.fromkeys(m.pk for m in [organizer, *required, *optional])]
        return dataclasses.replace(_from_engine(shown, people, organizer, source, hard), free_busy=_digest(used))
    try:
        read = rooms_read(organizer=organizer, ask=room, start=read_start, end=read_end)
    except calendars.CalendarError as error:
        return SearchResult(source=source, failed=f"Microsoft 365 did not answer for the rooms: {error.reason}")
    with_room, picks = with_rooms(shown, read)
    answer = rooms_answer(read, room, shown.slots, individual=graph_suggests)
    if shown.slots and not with_room.slots:
        hard = Hard(hard.days)  # everyone could meet: only the rooms are missing, no change of people would help
    return _from_engine(with_room, people, organizer, source, hard, picks, answer)


def _hard(
    people: list[engine.Person], request: engine.Request, shown: engine.Result, wanted: Wanted, *, graph: bool
) -> Hard:
    """For a search that shows few times or none: who blocks each day (from the free/busy already read); with
    none, the smallest changes that open a time, and the earliest time beyond the range (one more getSchedule).

    In individual mode (`graph`) it is judged by the times shown, which Graph's findMeetingTimes narrowed, and
    under Graph's rules: everyone's working hours hold (nobody is searched outside them) and an optional
    person's hours hold too, so no way out stretches someone's hours or frees them of their hours by making
    them optional."""
    if len(shown.slots) >= FEW:
        return Hard()
    if graph:
        request = dataclasses.replace(request, widened=frozenset())
    days = engine.who_blocks(people, request)
    if shown.slots or (graph and engine.search(people, request).slots):
        return Hard(days)  # Graph left out times the rules allow: its notes say why, no change of ours would do
    near = engine.near_misses(
        people, request, durations=wanted.rules.durations, stretch=not graph, optional_keeps_hours=graph
    )
    later = _earliest_later(wanted, request)
    return Hard(days, (*near, later) if later else near)


def _earliest_later(wanted: Wanted, request: engine.Request) -> engine.NearMiss | None:
    """The earliest time for everyone in the weeks after the range: one getSchedule (Graph reads under 62 days
    at once), ranked by the same engine and rules."""
    organizer, start, end = wanted.organizer, wanted.end, wanted.end + timedelta(days=LATER_DAYS)
    read_start, read_end = read_window(start, end, wanted.rules)
    try:
        schedules = _free_busy(organizer, [organizer, *wanted.required, *wanted.optional], read_start, read_end)
    except calendars.CalendarError:
        return None  # the range's own answer stands; the later weeks are a bonus
    people = engine_people(organizer, wanted.required, wanted.optional, schedules, read_start)
    return engine.earliest_beyond(people, dataclasses.replace(request, start=start, end=end))


def availability_check_slot(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> SlotCheck:
    """Fresh from Microsoft (no cache): is [start, end) still free, buffers included, for the organizer and every
    required person? Optional people are not checked. One getSchedule in either mode (individual mode: the
    member's own), read under the organization's blocking statuses. Never raises for Microsoft's answers: a
    person who cannot be read, or Microsoft not answering, makes the slot not free, with the reason."""
    return availability_check_times(
        organizer=organizer, required=required, optional=optional, times=[(start, end)], now=now
    )


def availability_check_times(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    times: Sequence[tuple[datetime, datetime]],
    now: datetime | None = None,
    itself: Collection[tuple[datetime, datetime]] = (),
) -> SlotCheck:
    """`availability_check_slot` for every time of a series at once (each occurrence that stands): one read of
    free/busy over them all, in windows of under 62 days sent in one $batch. With more than one time, each
    problem is prefixed with its occurrence's day in the organizer's zone ("14 Apr: Ann is no longer free…").
    `itself`: the meeting's own present times (a series being moved), whose busy items block nothing."""
    rules, zone = booking_rules_of(organization=organizer.organization), member_zone(organizer)
    ordered = sorted(times)
    if not ordered or ordered[0][0] <= (now or timezone.now()):
        return SlotCheck(False, (gettext("This time has already begun."),))
    if not rules.on_grid(ordered[0][0], zone):
        return SlotCheck(False, (rules.grid_words(zone),))
    people = [organizer, *required]
    read_start, read_end = read_window(ordered[0][0], ordered[-1][1], rules)
    try:
        schedules = _read_free_busy_over(organizer, people, horizon_windows(read_start, read_end))
    except (calendars.CalendarError, calendars.ConnectionNotReady) as error:
        reason = error.reason if isinstance(error, calendars.CalendarError) else str(error)
        return SlotCheck(False, (gettext("Microsoft 365 could not be asked: %(why)s") % {"why": reason},), error=error)
    blocking, own = rules.blocking | engine.ALWAYS_BLOCKING, frozenset(itself)
    problems = []
    for start, end in ordered:
        guarded = (start - rules.buffer_before, end + rules.buffer_after)  # as the search guards a slot
        for membership in people:
            problem = _slot_problem(membership, schedules.get(membership.pk), read_start, guarded, blocking, itself=own)
            if problem:
                day = reading.day(start.astimezone(zone), "month_day", get_language() or "en")
                problems.append(
                    gettext("%(day)s: %(problem)s") % {"day": day, "problem": problem} if len(ordered) > 1 else problem
                )
    return SlotCheck(not problems, tuple(problems))


def horizon_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into back-to-back windows of at most 61 days (getSchedule's window is under 62 days): as
    few as the span needs."""
    windows = []
    while start < end:
        windows.append((start, min(start + WINDOW, end)))
        start += WINDOW
    return windows


def availability_forget(*, organization: Organization, people: Iterable[Membership]) -> None:
    """Drop the cached free/busy of these people (every window), so that the next search reads it afresh."""
    for membership in people:
        cache.set(_version_key(organization, membership.pk), clock.time_ns(), None)


def read_window(start: datetime, end: datetime, rules: BookingRules) -> tuple[datetime, datetime]:
    """The free/busy a search or a check of [start, end) must read: the largest buffer beyond either edge, so that
    a meeting just before the first day or just after the last still pushes times away."""
    pad = max(rules.buffer_before, rules.buffer_after)
    return start - pad, end + pad


def member_zone(membership: Membership) -> tzinfo:
    """The member's page zone (as their browser told it, or as they picked it), UTC until known: the clock the
    booking page shows times in, and whose grid they start on."""
    return zone_or_none(membership.user.time_zone) or UTC


def _check_people(organizer: Membership, people: Sequence[Membership]) -> None:
    if any(m.organization_id != organizer.organization_id or not m.is_active for m in people):
        raise ValueError("Everyone must be an active member of the organizer's organization.")
    if any(m.pk == organizer.pk for m in people):
        raise ValueError("The organizer is always in the meeting; they are not also a colleague.")


def engine_request(wanted: Wanted) -> engine.Request:
    rules = wanted.rules
    return engine.Request(
        start=wanted.start,
        end=wanted.end,
        duration=wanted.duration,
        now=wanted.now,
        granularity=rules.granularity,
        minimum_notice=rules.minimum_notice,
        buffer_before=rules.buffer_before,
        buffer_after=rules.buffer_after,
        blocking=rules.blocking,
        widened=frozenset(str(m.user.uuid) for m in wanted.widened),
        you=str(wanted.organizer.user.uuid),
        you_tz=wanted.zone,
        grid_tz=wanted.zone,
        vocabulary=vocabulary(),
    )


# Domain-wide: free/busy, cached per organization, person and window


def _free_busy(
    organizer: Membership, people: Sequence[Membership], start: datetime, end: datetime
) -> dict[int, calendars.Schedule]:
    """Each person's free/busy by membership id, from the cache or one read of Microsoft for the rest."""
    unique = list({m.pk: m for m in people}.values())
    keys = _cache_keys(organizer.organization, [m.pk for m in unique], start, end)
    hits = cache.get_many(list(keys.values()))  # one round trip for everyone, as for their versions
    found: dict[int, calendars.Schedule] = {pk: hits[key] for pk, key in keys.items() if key in hits}
    missing = {m.pk: m for m in unique if m.pk not in found}
    if not missing:
        return found

    def read(pks: list[int]) -> dict[int, calendars.Schedule]:
        return _read_free_busy(organizer, [missing[pk] for pk in pks], start, end)

    # Searches missing the same people and window at once share one read; an error is worth asking again.
    missed = {pk: keys[pk] for pk in missing}
    return found | merged_reads.read_once(missed, read, keep=lambda s: s.error is None, seconds=CACHE_SECONDS)


def cached_free_busy_digest(
    *,
    organizer: Membership,
    people: Sequence[Membership],
    window_start: datetime,
    window_end: datetime,
    rules: BookingRules,
    along: str,
) -> tuple[str, Any]:
    """A digest of the free/busy a search of this window would read from the cache now (the organizer first), or
    "" when any of it is not cached: what the search answers is a function of it, so an answer kept with it is the
    answer the search would give. With it, the cached value under `along` (None when there is none), read in the
    same round trip: the answer kept for the search."""
    unique = list({m.pk: m for m in [organizer, *people]}.values())
    read_start, read_end = read_window(window_start, window_end, rules)
    keys = _cache_keys(organizer.organization, [m.pk for m in unique], read_start, read_end)
    hits = cache.get_many([*keys.values(), along])
    if any(key not in hits for key in keys.values()):
        return "", hits.get(along)
    return _digest([hits[keys[m.pk]] for m in unique]), hits.get(along)


def _digest(schedules: Sequence[calendars.Schedule]) -> str:
    """A digest of these schedules, in this order: the same for a schedule as read and as the cache gives it back."""
    return hashlib.blake2b(repr(list(schedules)).encode(), digest_size=16).hexdigest()


def _read_free_busy(
    organizer: Membership, people: Sequence[Membership], start: datetime, end: datetime
) -> dict[int, calendars.Schedule]:
    return _read_free_busy_over(organizer, people, [(start, end)])


def _read_free_busy_over(
    organizer: Membership, people: Sequence[Membership], windows: list[tuple[datetime, datetime]]
) -> dict[int, calendars.Schedule]:
    """Ask Microsoft for these people's free/busy over back-to-back windows, by membership id, at the addresses
    their directory records give (never `User.email`); a person without a record is not asked and comes back
    unreadable."""
    addresses = calendars.mailbox_addresses(organizer=organizer, people=people)
    found = {m.pk: _unreadable(calendars.NO_RECORD) for m in people if m.pk not in addresses}
    asked = [m for m in people if m.pk in addresses]
    if not asked:
        return found
    # One HTTP request for everyone: one getSchedule up to 20 people and one window, a $batch of them beyond.
    answer = calendars.free_busy_over(
        organizer=organizer, people=[addresses[m.pk] for m in asked], windows=windows, interval_minutes=_INTERVAL
    )
    for m in asked:
        found[m.pk] = answer.get(addresses[m.pk]) or _unreadable("Microsoft 365 returned nothing for this person")
    return found


def _unreadable(why: str) -> calendars.Schedule:
    return calendars.Schedule("", error=calendars.ScheduleError(why, ""))


def _cache_keys(organization: Organization, people: Sequence[int], start: datetime, end: datetime) -> dict[int, str]:
    """Each person's cache key for this window, under its current version (read for all in one round trip)."""
    version_keys = {pk: _version_key(organization, pk) for pk in people}
    versions = cache.get_many(list(version_keys.values()))
    window = f"{start.astimezone(UTC):%Y%m%dT%H%M}-{end.astimezone(UTC):%Y%m%dT%H%M}"
    return {
        pk: f"availability:{organization.pk}:{pk}:{versions.get(key, 0)}:{window}" for pk, key in version_keys.items()
    }


def _version_key(organization: Organization, membership_id: int) -> str:
    return f"availability-version:{organization.pk}:{membership_id}"


def engine_people(
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    schedules: dict[int, calendars.Schedule],
    window_start: datetime,
) -> list[engine.Person]:
    default = engine.WorkingHours(days=_DEFAULT_DAYS, start=time(9), end=time(17), tz=member_zone(organizer))
    grid = ViewGrid(window_start, timedelta(minutes=_INTERVAL))
    roles = [(organizer, True), *((m, True) for m in required), *((m, False) for m in optional)]
    return [
        person_from_schedule(
            schedules[m.pk],
            person_id=str(m.user.uuid),
            name=m.user.display_name if m.pk != organizer.pk else "you",
            required=is_required,
            default_hours=default,
            view=grid,
        )
        for m, is_required in roles
    ]


def _learn_zones(memberships: Sequence[Membership], schedules: dict[int, calendars.Schedule]) -> None:
    """Keep the zone of each person's working hours that Microsoft told (an IANA one; a custom zone has no name
    other pages could use), so that the confirmation, meeting and My meetings pages show their clock too."""
    zones = {}
    for m in memberships:
        schedule = schedules.get(m.pk)
        hours = schedule.working_hours if schedule is not None and schedule.error is None else None
        if hours is not None and (key := getattr(hours.tz, "key", "")):
            zones[m.user] = str(key)
    users_mailbox_zones_record(zones=zones)


def _zones(people: Sequence[engine.Person], organizer: Membership) -> list[tuple[str, tzinfo]]:
    """Each colleague's time zone, where Microsoft told it (their working hours)."""
    return [(p.name, p.hours.tz) for p in people if p.hours is not None and p.id != str(organizer.user.uuid)]


def _from_engine(
    result: engine.Result,
    people: Sequence[engine.Person],
    organizer: Membership,
    source: str = "overlap",
    hard: Hard | None = None,
    picks: dict[datetime, RoomPick] | None = None,
    rooms: RoomsAnswer | None = None,
) -> SearchResult:
    # Each zone's label once: it is the same for every time, and naming a zone costs more than converting to it.
    zones = [(name, tz, zone_label(tz)) for name, tz in _zones(people, organizer)]

    def local(slot: engine.RankedSlot) -> tuple[tuple[str, datetime, str], ...]:
        return tuple((name, slot.start.astimezone(tz), label) for name, tz, label in zones)

    room_of = picks or {}

    def brief(slot: engine.RankedSlot) -> Suggestion:
        flags = slot.flags if slot.outside_hours else ()
        return Suggestion(slot.start, slot.end, flags=flags, local_times=local(slot), room=room_of.get(slot.start))

    def full(slot: engine.RankedSlot) -> Suggestion:
        words = slot.explanation
        room = room_of.get(slot.start)
        return Suggestion(slot.start, slot.end, words.summary, words.reasons, words.flags, local(slot), room)

    unreadable = tuple(CouldNotRead(u.name, u.reason, u.required) for u in result.unreadable)
    return SearchResult(
        source=source,
        best=tuple(full(slot) for slot in result.best),
        slots=tuple(brief(slot) for slot in result.slots),
        unreadable=unreadable,
        failed=result.failed,
        notes=result.notes,
        hard=hard or Hard(),
        rooms=rooms,
    )


def _slot_problem(
    membership: Membership,
    schedule: calendars.Schedule | None,
    read_start: datetime,
    guarded: tuple[datetime, datetime],
    blocking: frozenset[str],
    *,
    itself: frozenset[tuple[datetime, datetime]] = frozenset(),
) -> str:
    """Why this person cannot make the slot: unreadable, or a blocking status within `guarded` (the slot and its
    buffers); "" when they can. `read_start` is where the free/busy that was read begins; a busy item exactly at
    one of `itself` is the meeting being moved, not a clash."""
    name, (start, end) = membership.user.display_name, guarded
    if schedule is None or schedule.error is not None:
        why = schedule.error.message if schedule and schedule.error else gettext("no answer")
        return gettext("%(name)s's calendar could not be read (%(why)s).") % {"name": name, "why": why}
    busy = [engine.Busy(i.start, i.end, i.status) for i in schedule.items] or list(
        busy_from_view(schedule.availability_view, ViewGrid(read_start, timedelta(minutes=_INTERVAL)))
    )
    clash = next(
        (
            b
            for b in busy
            if b.status in blocking and b.start < end and start < b.end and (b.start, b.end) not in itself
        ),
        None,
    )
    if clash is None:
        return ""
    return gettext("%(name)s is no longer free then (%(status)s).") % {"name": name, "status": clash.status}
