"""The emulator's calendars: events per mailbox, recurring series, and free/busy over a window.

One `CalendarStore` per tenant (``Tenant.calendars``). A meeting is one event in the organizer's mailbox plus a
copy in each attendee's mailbox, linked by `ical_uid`. Expansions of a mailbox's events into instances are cached
per mailbox and dropped whenever one of its events changes, so repeated getSchedule calls cost a bisect and a
loop over the instances that touch the window.

Sources: Graph v1.0 `resources/event` (an all-day event starts and ends at midnight in its zone; a series master
carries a patternedRecurrence), `resources/scheduleinformation` and `resources/scheduleitem` (free/busy), in
microsoftgraph/microsoft-graph-docs-contrib. How series expand is in `calendar_recurrence`.
"""

from __future__ import annotations

import base64
import bisect
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from m365_emulator.calendar_recurrence import Recurrence
from m365_emulator.calendar_tz import DAY_NAMES, to_utc, zone_for_name

T = TypeVar("T")
# availabilityView digits: working elsewhere is reported as free (0) for backward compatibility, never 4.
VIEW_DIGIT = {"free": 0, "workingElsewhere": 0, "unknown": 0, "tentative": 1, "busy": 2, "oof": 3}
# How strongly a status blocks, for merging overlaps: the highest wins (UNCONFIRMED, the sensible rule).
STATUS_RANK = {"free": 0, "unknown": 1, "workingElsewhere": 2, "tentative": 3, "busy": 4, "oof": 5}
SHOW_AS = {name.lower(): name for name in STATUS_RANK}
NO_RESPONSE_TIME = "0001-01-01T00:00:00Z"
_DIGITS = [str(n).encode() for n in range(4)]
_MEMO_LIMIT = 256  # remembered renderings per mailbox
_EXPANSION_MARGIN = 60 * 86400  # seconds expanded beyond a requested window, so nearby windows hit the cache


def new_event_ids(rng: Callable[[int], bytes] = secrets.token_bytes) -> tuple[str, str]:
    """A (regular, immutable) id pair in Exchange's look: opaque, case-sensitive, URL-safe base64."""
    raw = rng(30)
    body = base64.urlsafe_b64encode(raw).decode()
    return f"AAMkAG{body}AAA=", f"AAkALg{body}AAA="


@dataclass
class Attendee:
    address: str
    name: str
    type: str = "required"  # required | optional | resource
    response: str = "none"
    response_time: str = NO_RESPONSE_TIME


@dataclass
class Override:
    """What became of one occurrence of a series, kept on the series (in each mailbox's copy) under the date the
    pattern gave it in the series' zone: moved there (an exception), cancelled, or answered on its own.

    `response`/`show_as`: the mailbox owner's own answer to it (an attendee's copy); `answers`: on the organizer's
    copy, each attendee's answer to it by address (lower-cased), as (response, time).
    """

    start: datetime | None = None
    end: datetime | None = None
    cancelled: bool = False
    response: str | None = None
    response_time: str = NO_RESPONSE_TIME
    show_as: str | None = None
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        return self.start is not None


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series where it is now; `original_start` is where the pattern put it (UTC), on
    `original_date` in the series' zone, which names it for good."""

    original_date: date
    original_start: datetime
    start: datetime
    end: datetime
    override: Override | None = None

    @property
    def status_override(self) -> str | None:
        return self.override.show_as if self.override is not None else None


@dataclass
class Event:
    """One event in one mailbox. Times are aware UTC instants; the zones are kept to echo and to expand."""

    id: str
    immutable_id: str
    ical_uid: str
    mailbox_id: str
    subject: str
    start: datetime
    end: datetime
    start_zone: str = "UTC"
    end_zone: str = "UTC"
    organizer_address: str = ""
    organizer_name: str = ""
    is_organizer: bool = True
    body_type: str = "html"
    body: str = ""
    is_all_day: bool = False
    show_as: str = "busy"
    sensitivity: str = "normal"
    importance: str = "normal"
    location: dict[str, Any] = field(default_factory=dict)
    attendees: list[Attendee] = field(default_factory=list)
    response: str = "organizer"
    response_time: str = NO_RESPONSE_TIME
    is_cancelled: bool = False
    recurrence: Recurrence | None = None
    transaction_id: str | None = None
    extended: dict[str, str] = field(default_factory=dict)
    is_online_meeting: bool = False
    online_provider: str = "unknown"
    join_url: str | None = None
    categories: list[str] = field(default_factory=list)
    is_reminder_on: bool = True
    reminder_minutes: int = 15
    response_requested: bool = True
    allow_new_time_proposals: bool = True
    hide_attendees: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    change_key: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    overrides: dict[date, Override] = field(default_factory=dict)  # a series' changed occurrences

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def is_private(self) -> bool:
        return self.sensitivity in ("private", "confidential")

    def shift_range(self, old_start: datetime) -> None:
        """After a series moved without a new range: `startDate` moves by the days the start moved, counted in
        the series' `recurrenceTimeZone` (the range's dates are dates there, whatever zone the move was sent in)."""
        if self.recurrence is not None:
            zone = zone_for_name(self.recurrence.time_zone)
            self.recurrence.start_date += self.start.astimezone(zone).date() - old_start.astimezone(zone).date()

    def occurrences(self, lo: datetime, hi: datetime) -> Iterator[tuple[datetime, datetime]]:
        """(start, end) of every occurrence that overlaps [lo, hi); a single event yields itself."""
        if self.recurrence is None:
            if self.start < hi and self.end > lo:
                yield self.start, self.end
            return
        for occurrence in self.series(lo, hi):
            yield occurrence.start, occurrence.end

    def series(self, lo: datetime, hi: datetime) -> Iterator[Occurrence]:
        """A series' occurrences that overlap [lo, hi) where they are now, in the order of the pattern; those
        cancelled, and those the mailbox owner declined (Outlook then takes them off the calendar), are left out.

        A series is expanded in its `recurrenceTimeZone`: each occurrence starts at the series' local start time
        and ends at its local end time on that day, both converted to UTC (see `calendar_recurrence`).
        """
        if self.recurrence is None:
            return
        zone = zone_for_name(self.recurrence.time_zone)
        # An occurrence moved earlier may come from a date past the window: look that much further.
        until = hi.astimezone(zone).date() + timedelta(days=self._moved_earlier(zone))
        for day in self.recurrence.dates(until):
            occurrence = self._occurrence(day, zone)
            if occurrence is not None and occurrence.start < hi and occurrence.end > lo:
                yield occurrence

    def occurrence_on(self, day: date) -> Occurrence | None:
        """The occurrence the pattern puts on `day` (in the series' zone), unless there is none or it is gone."""
        if self.recurrence is None or day not in self.recurrence.dates(day):
            return None
        return self._occurrence(day, zone_for_name(self.recurrence.time_zone))

    def pattern_dates_around(self, day: date) -> tuple[date | None, date | None]:
        """The pattern's dates just before and just after `day` whose occurrences are still on the calendar."""
        if self.recurrence is None:
            return None, None
        zone = zone_for_name(self.recurrence.time_zone)
        before = after = None
        for other in self.recurrence.dates(day + timedelta(days=400 * self.recurrence.interval)):
            if other != day and self._occurrence(other, zone) is not None:
                if other < day:
                    before = other
                else:
                    after = other
                    break
        return before, after

    def _occurrence(self, day: date, zone: tzinfo) -> Occurrence | None:
        override = self.overrides.get(day)
        if override is not None and (override.cancelled or override.response == "declined"):
            return None
        first = self.start.astimezone(zone).replace(tzinfo=None, fold=0)
        span = self.end.astimezone(zone).replace(tzinfo=None, fold=0) - first  # a wall-clock span, not elapsed
        local = datetime.combine(day, first.time())
        original = to_utc(local, zone)
        if override is not None and override.start is not None and override.end is not None:
            return Occurrence(day, original, override.start, override.end, override)
        return Occurrence(day, original, original, to_utc(local + span, zone), override)

    def _moved_earlier(self, zone: tzinfo) -> int:
        return max(
            ((day - o.start.astimezone(zone).date()).days for day, o in self.overrides.items() if o.start is not None),
            default=0,
        )


class Instance:
    """One occurrence on the timeline of a mailbox; `cache` holds its rendered scheduleItems."""

    __slots__ = ("cache", "end", "event", "start", "status")

    def __init__(self, start: int, end: int, event: Event, status: str | None = None) -> None:
        self.start = start
        self.end = end
        self.event = event
        self.status = status or event.show_as
        self.cache: dict[Any, Any] = {}


@dataclass
class _Timeline:
    lo: int
    hi: int
    starts: list[int]
    instances: list[Instance]
    longest: int
    memo: dict[Any, Any] = field(default_factory=dict)


class CalendarStore:
    """Every mailbox's events of one tenant, with the indexes Graph needs (ids, transactionId, iCalUId)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._events: dict[str, dict[str, Event]] = {}  # mailbox id -> event id -> event
        self._by_immutable: dict[str, Event] = {}
        self._transactions: dict[tuple[str, str], Event] = {}
        self._by_uid: dict[str, dict[str, Event]] = {}  # iCalUId -> mailbox id -> event
        self._timelines: dict[str, _Timeline] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock and its expansion caches (a saved world is data only)."""
        with self.lock:
            return {k: v for k, v in self.__dict__.items() if k not in ("lock", "_timelines")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()
        self._timelines = {}

    def add(self, event: Event) -> None:
        with self.lock:
            self._events.setdefault(event.mailbox_id, {})[event.id] = event
            self._by_immutable[event.immutable_id] = event
            if event.transaction_id:
                self._transactions[(event.mailbox_id, event.transaction_id)] = event
            self._by_uid.setdefault(event.ical_uid, {})[event.mailbox_id] = event
            self._timelines.pop(event.mailbox_id, None)

    def remove(self, event: Event) -> None:
        """Gone from the calendar (moved to Deleted Items): any later read by either id gives 404."""
        with self.lock:
            self._events.get(event.mailbox_id, {}).pop(event.id, None)
            self._by_immutable.pop(event.immutable_id, None)
            if self._by_uid.get(event.ical_uid, {}).get(event.mailbox_id) is event:
                del self._by_uid[event.ical_uid][event.mailbox_id]
            self._timelines.pop(event.mailbox_id, None)

    def changed(self, event: Event) -> None:
        """Record an edit: new change key, new modified time, and the mailbox's expansion is stale."""
        with self.lock:
            event.change_key = secrets.token_urlsafe(12)
            event.modified = datetime.now(UTC)
            self._timelines.pop(event.mailbox_id, None)

    def get(self, mailbox_id: str, event_id: str) -> Event | None:
        """By regular or immutable id; ids are case-sensitive, as in Exchange."""
        event = self._events.get(mailbox_id, {}).get(event_id)
        if event is None:
            found = self._by_immutable.get(event_id)
            event = found if found is not None and found.mailbox_id == mailbox_id else None
        return event

    def events_of(self, mailbox_id: str) -> list[Event]:
        return sorted(self._events.get(mailbox_id, {}).values(), key=lambda e: (e.start, e.id))

    def by_transaction(self, mailbox_id: str, transaction_id: str) -> Event | None:
        """An earlier event created in this mailbox with this transactionId (even if since deleted)."""
        return self._transactions.get((mailbox_id, transaction_id))

    def copies(self, ical_uid: str) -> list[Event]:
        """Every live event of a meeting (organizer's and attendees'), found by iCalUId."""
        with self.lock:
            return list(self._by_uid.get(ical_uid, {}).values())

    def instances(self, mailbox_id: str, lo: datetime, hi: datetime) -> list[Instance]:
        """The instances of non-cancelled events overlapping [lo, hi), ordered by start."""
        low, high = int(lo.timestamp()), int(hi.timestamp())
        return _window(self._timeline(mailbox_id, low, high), low, high)

    def remembered(
        self, mailbox_id: str, lo: datetime, hi: datetime, key: Any, render: Callable[[list[Instance]], T]
    ) -> T:
        """`render(instances of [lo, hi))`, computed once per key until an event of the mailbox changes.

        Repeated free/busy questions about the same window (a page polled, a team compared) cost a lookup.
        """
        low, high = int(lo.timestamp()), int(hi.timestamp())
        timeline = self._timeline(mailbox_id, low, high)
        full_key = (low, high, key)
        if full_key not in timeline.memo:
            if len(timeline.memo) > _MEMO_LIMIT:
                timeline.memo.clear()
            timeline.memo[full_key] = render(_window(timeline, low, high))
        return timeline.memo[full_key]

    def _timeline(self, mailbox_id: str, low: int, high: int) -> _Timeline:
        timeline = self._timelines.get(mailbox_id)
        if timeline is not None and timeline.lo <= low and high <= timeline.hi:
            return timeline
        with self.lock:
            lo = low - _EXPANSION_MARGIN if timeline is None else min(timeline.lo, low - _EXPANSION_MARGIN)
            hi = high + _EXPANSION_MARGIN if timeline is None else max(timeline.hi, high + _EXPANSION_MARGIN)
            timeline = self._expand(mailbox_id, lo, hi)
            self._timelines[mailbox_id] = timeline
            return timeline

    def _expand(self, mailbox_id: str, lo: int, hi: int) -> _Timeline:
        window = (datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC))
        instances = [
            Instance(int(start.timestamp()), int(end.timestamp()), event, status)
            for event in list(self._events.get(mailbox_id, {}).values())
            if not event.is_cancelled
            for start, end, status in _expanded(event, *window)
        ]
        instances.sort(key=lambda i: (i.start, i.end))
        longest = max((i.end - i.start for i in instances), default=0)
        return _Timeline(lo, hi, [i.start for i in instances], instances, longest)


def _expanded(event: Event, lo: datetime, hi: datetime) -> Iterator[tuple[datetime, datetime, str | None]]:
    """Each occurrence with the status it shows: an attendee's own answer to one occurrence changes its status."""
    if event.recurrence is None:
        for start, end in event.occurrences(lo, hi):
            yield start, end, None
        return
    for occurrence in event.series(lo, hi):
        yield occurrence.start, occurrence.end, occurrence.status_override


def _window(timeline: _Timeline, low: int, high: int) -> list[Instance]:
    first = bisect.bisect_left(timeline.starts, low - timeline.longest)
    last = bisect.bisect_left(timeline.starts, high)
    return [i for i in timeline.instances[first:last] if i.end > low]


def availability_view(instances: list[Instance], lo: datetime, hi: datetime, minutes: int) -> str:
    """One digit per `minutes` slot of [lo, hi); overlapping items merge to the most blocking status."""
    start, step = int(lo.timestamp()), minutes * 60
    count = -(-(int(hi.timestamp()) - start) // step)
    slots = bytearray(b"0" * count)
    # Writing the weakest statuses first lets stronger ones overwrite them: the highest digit wins.
    for digit, instance in sorted(((VIEW_DIGIT.get(i.status, 0), i) for i in instances), key=lambda pair: pair[0]):
        if digit:
            first = max((instance.start - start) // step, 0)
            last = min(-(-(instance.end - start) // step), count)
            if last > first:
                slots[first:last] = _DIGITS[digit] * (last - first)
    return slots.decode()


def strongest_status(instances: list[Instance], lo: int, hi: int) -> str:
    """The most blocking status among instances overlapping [lo, hi) (epoch seconds); free if none."""
    best = "free"
    for instance in instances:
        if instance.start < hi and instance.end > lo and STATUS_RANK[instance.status] > STATUS_RANK[best]:
            best = instance.status
    return best


def day_index(name: str) -> int:
    """A Graph day name (any case) as 0 = Monday."""
    return DAY_NAMES.index(name.strip().lower())
