"""Individual (delegated) mode: Microsoft's findMeetingTimes says which times it offers, and Overlap's own engine,
fed by the member's own getSchedule, decides which of them keep the organization's rules and in what order.

findMeetingTimes alone cannot be trusted with the organization's rules: it reports one status per person and
slot (a tentative event hides a "working elsewhere" block under it), keeps no buffers and says nothing of
anyone's zone. So a search asks Graph once, as the organizer, for the times it offers (the required colleagues
as `required` attendees, the optional ones as `optional`, activityDomain `work`: Graph keeps everyone's working
hours), and availability ranks the getSchedule answer with the engine exactly as in domain-wide mode. The page
shows the times both agree on, fairest first with the engine's reasons; `graph_offered` says in words why each
other suggestion of Graph's was left out, or why Graph offered none.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

import integrations.calendars as calendars
from accounts.models import Membership
from booking import engine
from booking.search.results import Wanted
from localtime import grid_start, on_grid, reading

# Graph documents no maximum: room for every half hour of a working week, so that the fair order has a choice.
MOST_SUGGESTIONS = 100
YOU = "you"
_STATUS_WORDS = {"oof": "out of office", "workingElsewhere": "working elsewhere"}
_EMPTY_REASONS = {
    "attendeesunavailable": _(
        "Microsoft 365 found no time in this range when enough of the people asked are free. "
        "Try a shorter meeting, a longer range, or make someone optional."
    ),
    "attendeesunavailableorunknown": _(
        "Microsoft 365 could not read someone's calendar, or found no time when "
        "everyone is free. Check that everyone is in your organization, then try a longer range."
    ),
    "organizerunavailable": _(
        "You are not free at any time in this range, inside your working hours. Try a longer range."
    ),
    "locationsunavailable": _("No meeting room is free in this range."),
}
_EMPTY_UNKNOWN = _("Microsoft 365 suggested no time and did not say why. Try another range or a shorter meeting.")
_OPTIONAL_HOURS = _("Microsoft 365 keeps optional people's working hours too: without them it may find more times.")


def delegated_suggestions(wanted: Wanted) -> calendars.MeetingTimeSuggestions | None:
    """The times Graph offers for this search (one findMeetingTimes as the organizer), or None when no time can
    start inside the range (nothing is asked). Raises `calendars.CalendarError` when Microsoft refuses."""
    earliest = _earliest(wanted)
    if earliest + wanted.duration > wanted.end:
        return None
    addresses = _addresses(wanted.organizer, [*wanted.required, *wanted.optional])
    return calendars.suggest_times(
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


def graph_offered(
    ranked: engine.Result,
    found: calendars.MeetingTimeSuggestions | None,
    wanted: Wanted,
    people: list[engine.Person],
) -> engine.Result:
    """The engine's answer narrowed to the times Graph offers, in the engine's fair order with its reasons.

    Notes say what Microsoft's suggestions cannot honour, and when a time Graph offered is left out (or none is
    left), why: the rule it breaks and whose calendar breaks it. The engine's own notes (no overlap of working
    hours, a range that ends too soon) come first: they say more than Graph's emptySuggestionsReason can.
    """
    caveats = _caveats(wanted)
    if ranked.failed or not ranked.slots or found is None:
        return engine.Result(unreadable=ranked.unreadable, failed=ranked.failed, notes=(*caveats, *ranked.notes))
    offered = {(s.start, s.end) for s in found.suggestions}
    slots = tuple(s for s in ranked.slots if (s.start, s.end) in offered)
    kept = {(s.start, s.end) for s in slots}
    left_out = Counter(
        _broken_rule(s.start, s.end, wanted, people) for s in found.suggestions if (s.start, s.end) not in kept
    )
    return engine.Result(
        best=engine.best_slots(slots, engine.Request.best_count),
        slots=slots,
        unreadable=ranked.unreadable,
        notes=(*caveats, *_result_notes(found, wanted, bool(slots), left_out)),
    )


def attendee_threshold(required: int, optional: int) -> float:
    """Graph's minimumAttendeePercentage: 100 with only required people. Graph weighs optional people like
    required ones, so with optional people it is the required share, and Overlap itself checks that every
    required person is free (the engine still puts the times when more optional people are free first)."""
    return math.floor(10000 * required / (required + optional)) / 100


def status_words(status: str) -> str:
    return _STATUS_WORDS.get(status, status)


def _earliest(wanted: Wanted) -> datetime:
    """The first start the rules allow: not before the range, nor before now plus the notice, on the grid."""
    rules = wanted.rules
    return max(wanted.start, grid_start(wanted.now + rules.minimum_notice, rules.granularity, wanted.zone))


def _caveats(wanted: Wanted) -> tuple[str, ...]:
    """What Microsoft's suggestions cannot honour in this mode, said before the times."""
    if not wanted.widened:
        return ()
    names = reading.listed([m.user.display_name for m in wanted.widened], get_language() or "en")
    caveat = gettext(
        "Microsoft 365's suggestions keep everyone's working hours: %(names)s cannot be booked outside theirs "
        "while your organization uses individual calendar connections."
    )
    return (caveat % {"names": names},)


def _addresses(organizer: Membership, people: Sequence[Membership]) -> dict[int, str]:
    """Each person's address from their directory record; a person without one cannot be asked about."""
    found = calendars.mailbox_addresses(organizer=organizer, people=people)
    missing = [m.user.display_name for m in people if m.pk not in found]
    if missing:
        reason = f"{', '.join(missing)}: {calendars.NO_RECORD}."
        raise calendars.CalendarError(reason, code="no_mailbox", permanent=True)
    return found


def _broken_rule(start: datetime, end: datetime, wanted: Wanted, people: list[engine.Person]) -> str:
    """Which of the organization's rules a time Graph offered breaks, by the getSchedule answer, in words."""
    rules = wanted.rules
    if start < wanted.start or end > wanted.end:
        return "outside the dates you picked"
    if start < wanted.now + rules.minimum_notice:
        return f"sooner than your organization's {rules.minimum_notice_minutes} minutes' notice"
    if not on_grid(start, rules.granularity, wanted.zone):
        return f"off your organization's {rules.granularity_minutes}-minute grid"
    blocking = rules.blocking | engine.ALWAYS_BLOCKING
    required = [p for p in people if p.required]
    clash = _clash(required, start, end, blocking)
    if clash[0]:
        return _blocked(*clash)
    near = _clash(required, start - rules.buffer_before, end + rules.buffer_after, blocking)
    if near[0]:
        return "too close to " + ("your other meetings" if near[0] == YOU else f"{near[0]}'s other meetings")
    return "outside someone's working hours"


def _clash(people: list[engine.Person], start: datetime, end: datetime, blocking: frozenset[str]) -> tuple[str, str]:
    """The first (name, status) of someone's blocking time that meets [start, end), or ("", "")."""
    for person in people:
        for busy in person.busy:
            if busy.status in blocking and busy.start < end and start < busy.end:
                return person.name, busy.status
    return "", ""


def _blocked(name: str, status: str) -> str:
    who = "you are" if name == YOU else f"{name} is"
    if status == "unknown":
        return f"when {who} unknown to Microsoft 365 (never counted as free)"
    if status in ("busy", "oof"):
        return f"when {who} {status_words(status)}"
    return f"when {who} {status_words(status)} (your organization counts {status_words(status)} as busy)"


def _result_notes(
    found: calendars.MeetingTimeSuggestions, wanted: Wanted, kept: bool, left_out: Counter[str]
) -> tuple[str, ...]:
    if not found.suggestions:
        why = str(_EMPTY_REASONS.get(found.empty_reason.lower(), _EMPTY_UNKNOWN))
        return (why, str(_OPTIONAL_HOURS)) if wanted.optional else (why,)
    if not left_out:
        return ()
    total = sum(left_out.values())
    parts = "; ".join(f"{count} {why}" for why, count in left_out.most_common())
    note = f"Left out {total} of Microsoft 365's {len(found.suggestions)} suggestions: {parts}."
    return (note,) if kept else (note, gettext("Try a longer range or other dates."))
