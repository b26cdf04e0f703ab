"""Individual (delegated) mode: availability comes only from Microsoft's findMeetingTimes, asked as the organizer.

A search is one findMeetingTimes: the required colleagues as `required` attendees, the optional ones as
`optional`, activityDomain `work` (Graph keeps the organizer's and every attendee's working hours), and the
organization's notice and grid folded into the start of the time constraint. Graph ranks; Overlap keeps Graph's
order, confidence and reasons, and drops only what Graph's own answer shows to break the organization's rules: a
start off the grid, before the notice or outside the range, or a time when the organizer or a required colleague
has a status the organization counts as blocking (or unknown). A slot is checked again with one findMeetingTimes
for exactly that slot. Nothing here calls getSchedule or caches anything.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

import integrations.calendars as calendars
from accounts.models import Membership, User
from booking import engine
from booking.results import SearchResult, SlotCheck, Suggestion, Wanted, named_zone, zone_label
from booking.rules import BookingRules

MOST_SUGGESTIONS = 30  # Graph documents no default; enough for a page, few enough to read
CHECK_CANDIDATES = 50  # every start Graph may weigh inside one slot and its buffers
YOU = "you"
MICROSOFT = "microsoft"
_MINUTE = timedelta(minutes=1)
_STATUS_WORDS = {"oof": "out of office", "workingElsewhere": "working elsewhere"}
_EMPTY_REASONS = {
    "attendeesunavailable": "Microsoft 365 found no time when everyone is free in this range. Try a shorter meeting, "
    "a longer range, or make someone optional.",
    "attendeesunavailableorunknown": "Microsoft 365 could not read someone's calendar, or found no time when "
    "everyone is free. Check that everyone is in your organization, then try a longer range.",
    "organizerunavailable": "Your own calendar has no free time in this range. Try a longer range.",
    "locationsunavailable": "No meeting room is free in this range.",
}
_EMPTY_UNKNOWN = "Microsoft 365 suggested no time and did not say why. Try another range or a shorter meeting."
_OPTIONAL_HOURS = "Microsoft 365 keeps optional people's working hours too: without them it may find more times."


def delegated_search(wanted: Wanted) -> SearchResult:
    """Graph's suggestions for this search, in Graph's order, with its confidence, each person's availability
    and its reason, less those Graph's own answer shows to break the organization's rules (the notes say how
    many and why). Exactly one findMeetingTimes; raises `calendars.CalendarError` when Microsoft refuses."""
    caveats, earliest = _caveats(wanted), _earliest(wanted)
    if earliest + wanted.duration > wanted.end:
        notice = wanted.rules.minimum_notice_minutes
        why = f"The range ends before the earliest time allowed ({notice} minutes' notice, on the grid)."
        return SearchResult(source=MICROSOFT, notes=(*caveats, why))
    addresses = _addresses(wanted.organizer, [*wanted.required, *wanted.optional])
    found = calendars.suggest_times(
        organizer=wanted.organizer,
        attendees=[addresses[m.pk] for m in wanted.required],
        optional=[addresses[m.pk] for m in wanted.optional],
        start=earliest,
        end=wanted.end,
        duration=wanted.duration,
        max_candidates=MOST_SUGGESTIONS,
        activity_domain="work",
        minimum_attendee_percentage=attendee_threshold(len(wanted.required), len(wanted.optional)),
    )
    kept: list[Suggestion] = []
    left_out: Counter[str] = Counter()
    for suggestion in found.suggestions:
        broken = _broken_rule(suggestion, wanted, addresses)
        if broken:
            left_out[broken] += 1
        else:
            kept.append(_suggestion(suggestion, wanted, addresses))
    return SearchResult(
        source=MICROSOFT,
        best=tuple(kept),
        slots=tuple(sorted(kept, key=lambda s: s.start)),
        notes=(*caveats, *_result_notes(found, wanted, kept, left_out)),
    )


def delegated_check_slot(
    *, organizer: Membership, required: Sequence[Membership], start: datetime, end: datetime, rules: BookingRules
) -> SlotCheck:
    """Is [start, end) still free for the organizer and every required person? One findMeetingTimes for exactly
    that slot (its buffers around it, any hour, since the member already chose the time). Free only when Graph
    offers that exact start with nobody in a blocking or unknown status; otherwise the problems name who and
    how. Raises `calendars.CalendarError` when Microsoft refuses."""
    addresses = _addresses(organizer, required)
    found = calendars.suggest_times(
        organizer=organizer,
        attendees=[addresses[m.pk] for m in required],
        start=start - rules.buffer_before,
        end=end + rules.buffer_after,
        duration=end - start,
        max_candidates=CHECK_CANDIDATES,
        activity_domain="unrestricted",
        # 0, not 100: Graph then still answers for a slot someone has taken since, and says who.
        minimum_attendee_percentage=0,
    )
    match = next((s for s in found.suggestions if s.start == start and s.end == end), None)
    if match is None:
        return SlotCheck(False, (_not_offered(found.empty_reason),))
    blocking = rules.blocking | engine.ALWAYS_BLOCKING
    people = [(YOU, match.organizer_availability)]
    people += [(m.user.display_name, _availability_of(match, addresses[m.pk])) for m in required]
    problems = tuple(_taken(name, status) for name, status in people if status in blocking)
    return SlotCheck(not problems, problems)


def attendee_threshold(required: int, optional: int) -> float:
    """Graph's minimumAttendeePercentage: 100 with only required people. Graph weighs optional people like
    required ones, so with optional people it is the required share, and Overlap itself checks that every
    required person is free (Graph's own order still puts the times when more people are free first)."""
    return math.floor(10000 * required / (required + optional)) / 100


def grid_start(instant: datetime, step: timedelta, zone: tzinfo) -> datetime:
    """The first whole minute at or after `instant` whose clock in `zone` is on the grid of `step`."""
    moment = instant.astimezone(UTC).replace(second=0, microsecond=0)
    if moment < instant:
        moment += _MINUTE
    local = moment.astimezone(zone)
    return moment + (-(local.hour * 60 + local.minute) % (step // _MINUTE)) * _MINUTE


def on_grid(instant: datetime, step: timedelta, zone: tzinfo) -> bool:
    return grid_start(instant, step, zone) == instant


def stored_zone(user: User) -> tzinfo | None:
    """The zone a member's browser told and their profile keeps, or None when unknown."""
    return named_zone(user.time_zone)


def status_words(status: str) -> str:
    return _STATUS_WORDS.get(status, status)


def _earliest(wanted: Wanted) -> datetime:
    """The first start the rules allow: not before the range, nor before now plus the notice, on the grid."""
    rules = wanted.rules
    return max(wanted.start, grid_start(wanted.now + rules.minimum_notice, rules.granularity, wanted.zone))


def _caveats(wanted: Wanted) -> tuple[str, ...]:
    """What Microsoft's suggestions cannot honour in this mode, said before the times."""
    notes = []
    if wanted.widened:
        names = ", ".join(m.user.display_name for m in wanted.widened)
        notes.append(
            f"Microsoft 365's suggestions keep everyone's working hours: {names} cannot be booked outside theirs "
            "while your organization uses individual calendar connections."
        )
    if wanted.rules.buffer_before or wanted.rules.buffer_after:
        notes.append("Microsoft 365's suggestions do not keep your organization's buffers around other meetings.")
    return tuple(notes)


def _addresses(organizer: Membership, people: Sequence[Membership]) -> dict[int, str]:
    """Each person's address from their directory record; a person without one cannot be asked about."""
    found = calendars.mailbox_addresses(organizer=organizer, people=people)
    missing = [m.user.display_name for m in people if m.pk not in found]
    if missing:
        reason = f"{', '.join(missing)}: {calendars.NO_RECORD}."
        raise calendars.CalendarError(reason, code="no_mailbox", permanent=True)
    return found


def _broken_rule(found: calendars.MeetingTimeSuggestion, wanted: Wanted, addresses: dict[int, str]) -> str:
    """Which of the organization's rules Graph's own answer shows this suggestion breaks, in words, or ""."""
    rules = wanted.rules
    if found.start < wanted.start or found.end > wanted.end:
        return "outside the dates you picked"
    if found.start < wanted.now + rules.minimum_notice:
        return f"sooner than your organization's {rules.minimum_notice_minutes} minutes' notice"
    if not on_grid(found.start, rules.granularity, wanted.zone):
        return f"off your organization's {rules.granularity_minutes}-minute grid"
    people = [(YOU, found.organizer_availability)]
    people += [(m.user.display_name, _availability_of(found, addresses[m.pk])) for m in wanted.required]
    blocking = rules.blocking | engine.ALWAYS_BLOCKING
    return next((_blocked(name, status) for name, status in people if status in blocking), "")


def _blocked(name: str, status: str) -> str:
    who = "you are" if name == YOU else f"{name} is"
    if status == "unknown":
        return f"when {who} unknown to Microsoft 365 (never counted as free)"
    if status in ("busy", "oof"):
        return f"when {who} {status_words(status)}"
    return f"when {who} {status_words(status)} (your organization counts {status_words(status)} as busy)"


def _availability_of(found: calendars.MeetingTimeSuggestion, address: str) -> str:
    """The attendee's availability in this suggestion; one Graph left out is unknown, never free."""
    return next((a.availability for a in found.attendees if a.address.lower() == address.lower()), "unknown")


def _suggestion(found: calendars.MeetingTimeSuggestion, wanted: Wanted, addresses: dict[int, str]) -> Suggestion:
    availability = [(YOU, status_words(found.organizer_availability))]
    for members, label in ((wanted.required, ""), (wanted.optional, " (optional)")):
        availability += [
            (f"{m.user.display_name}{label}", status_words(_availability_of(found, addresses[m.pk]))) for m in members
        ]
    colleagues = [*wanted.required, *wanted.optional]
    zones = [(m.user.display_name, zone) for m in colleagues if (zone := named_zone(m.user.zone_for_others))]
    return Suggestion(
        found.start,
        found.end,
        summary=found.reason,
        reasons=(found.reason,) if found.reason else (),
        local_times=tuple((name, found.start.astimezone(zone), zone_label(zone)) for name, zone in zones),
        confidence=found.confidence,
        availability=tuple(availability),
    )


def _result_notes(
    found: calendars.MeetingTimeSuggestions, wanted: Wanted, kept: list[Suggestion], left_out: Counter[str]
) -> tuple[str, ...]:
    if not found.suggestions:
        why = _EMPTY_REASONS.get(found.empty_reason.lower(), _EMPTY_UNKNOWN)
        return (why, _OPTIONAL_HOURS) if wanted.optional else (why,)
    if not left_out:
        return ()
    total = sum(left_out.values())
    parts = "; ".join(f"{count} {why}" for why, count in left_out.most_common())
    note = f"Left out {total} of Microsoft 365's {len(found.suggestions)} suggestions: {parts}."
    return (note,) if kept else (note, "Try a longer range or other dates.")


def _taken(name: str, status: str) -> str:
    if status == "unknown":
        who = "whether you are" if name == YOU else f"whether {name} is"
        return f"Microsoft 365 could not tell {who} free then."
    who = "You are" if name == YOU else f"{name} is"
    return f"{who} no longer free then ({status_words(status)})."


def _not_offered(empty_reason: str) -> str:
    if empty_reason.lower() == "organizerunavailable":
        return "You are no longer free then."
    return "Microsoft 365 no longer offers this exact time (it leaves out times when you are busy or away)."
