"""Who blocks, day by day: for each day of a search, who has no time and why, and a grid of people by hours.

Read from the same free/busy and working hours the search ranks, under the same rules (grid, notice, buffers,
blocking statuses), so a person named here really has no slot that day. Only statuses and working hours are
used: a reader learns free, busy, tentative, out of office, outside hours or unknown, never an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from booking.engine.masks import runs_mask, spread
from booking.engine.people import Frame, Prepared, prepare
from booking.engine.search import frame_of, start_grid, unavailable
from booking.engine.types import ALWAYS_BLOCKING, MINUTE, Person, Request

# Strongest first: the word an hour's cell shows when several statuses meet it.
_STATUS_WORDS = (
    ("oof", "out of office"),
    ("busy", "busy"),
    ("unknown", "unknown"),
    ("tentative", "tentative"),
    ("workingElsewhere", "working elsewhere"),
    ("free", "free"),
)


@dataclass(frozen=True)
class Blocker:
    """A person with no time on a day, and why, in words."""

    name: str
    why: str


@dataclass(frozen=True)
class BlockedDay:
    """One local day of the search: how many starts suit everyone, who has none and why, and the grid.

    `hours` are the local hours (in the page's zone) the grid shows; `rows` hold each person's word for each of
    those hours ("free", "busy", "partly busy", "outside hours", "unknown"...)."""

    day: date
    open_starts: int
    blockers: tuple[Blocker, ...]
    note: str
    hours: tuple[int, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class _Reader:
    """A required person's masks over the frame: the starts they can make, and their time by status."""

    person: Person
    prepared: Prepared | None
    can_make: int
    statuses: dict[str, int]
    in_hours: int = 0  # the starts their working hours alone allow (all, when widened)


def who_blocks(people: Sequence[Person], request: Request) -> tuple[BlockedDay, ...]:
    """Each local day (in `request.grid_tz`) of the window: who among the required people has no start that
    day, and why; a note when everyone has time but never at once; and the hour grid of everyone required."""
    frame, duration = frame_of(request), request.duration // MINUTE
    grid = start_grid(frame, request, duration)
    readers = [_reader(p, frame, request, duration) for p in people if p.required]
    together = grid
    for reader in readers:
        together &= reader.can_make
    return tuple(_day(on, frame, request, grid, together, readers) for on in _days(request))


def _reader(person: Person, frame: Frame, request: Request, duration: int) -> _Reader:
    if person.unreadable is not None:
        return _Reader(person, None, 0, {})
    prepared = prepare(person, frame, request.blocking)
    keep = person.id not in request.widened
    everything = (1 << frame.size) - 1
    can_make = ~unavailable(prepared, frame, request, duration, keep_hours=keep) & everything
    in_hours = everything & ~spread(everything & ~prepared.working, duration) if keep else everything
    statuses: dict[str, list[tuple[int, int]]] = {}
    for item in person.busy:
        statuses.setdefault(item.status, []).append((frame.floor(item.start), frame.ceil(item.end)))
    masks = {status: runs_mask(runs, frame.size) for status, runs in statuses.items()}
    return _Reader(person, prepared, can_make, masks, in_hours)


def _days(request: Request) -> list[date]:
    first = request.start.astimezone(request.grid_tz).date()
    last = (request.end - MINUTE).astimezone(request.grid_tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _local(on: date, hour: int, request: Request, frame: Frame) -> int:
    """The frame's minute of `hour`:00 on `on` in the page's zone (24 is the next midnight), clipped."""
    moment = datetime.combine(on, time(0), tzinfo=request.grid_tz) + timedelta(hours=hour)
    return min(max(frame.floor(moment), 0), frame.size)


def _day(on: date, frame: Frame, request: Request, grid: int, together: int, readers: list[_Reader]) -> BlockedDay:
    span = runs_mask([(_local(on, 0, request, frame), _local(on, 24, request, frame))], frame.size)
    starts = grid & span
    open_starts = (together & span).bit_count()
    blockers = tuple(
        Blocker(r.person.name, _why(r, span, request)) for r in readers if starts and not r.can_make & starts
    )
    note = ""
    if not starts:
        note = request.vocabulary.day_ruled_out
    elif not open_starts and not blockers and not _hours_meet(starts, readers):
        note = request.vocabulary.hours_never_meet
    elif not open_starts and not blockers:
        note = request.vocabulary.never_together
    hours, rows = _grid(on, frame, request, readers)
    return BlockedDay(on, open_starts, blockers, note, hours, rows)


def _hours_meet(starts: int, readers: list[_Reader]) -> bool:
    for reader in readers:
        starts &= reader.in_hours
    return bool(starts)


def _why(reader: _Reader, span: int, request: Request) -> str:
    """Why this person has no start in `span`: unreadable, outside hours, or the statuses filling their day."""
    said = request.vocabulary
    if reader.prepared is None:
        return said.unreadable
    widened = reader.person.id in request.widened
    working = span if widened else reader.prepared.working & span
    if not working:
        return said.off_all_day
    blocking = request.blocking | ALWAYS_BLOCKING
    found = sorted(
        ((mask & working).bit_count(), status) for status, mask in reader.statuses.items() if status in blocking
    )
    words = [said.status(_word(status)) for minutes, status in reversed(found) if minutes]
    where = said.all_day if widened else said.through_hours
    if not words:
        return said.no_free_minutes.format(minutes=request.duration // MINUTE)
    joined = said.two.format(first=words[0], last=words[1]) if len(words) == 2 else said.comma.join(words)
    return where.format(statuses=joined)


def _word(status: str) -> str:
    return dict(_STATUS_WORDS).get(status, status)


def _grid(
    on: date, frame: Frame, request: Request, readers: list[_Reader]
) -> tuple[tuple[int, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """The hours anyone works that day (first to last), and each person's word for each hour."""
    bounds = [
        (h, runs_mask([(_local(on, h, request, frame), _local(on, h + 1, request, frame))], frame.size))
        for h in range(24)
    ]
    worked = [h for h, mask in bounds if any(r.prepared and r.prepared.working & mask for r in readers)]
    if not worked:
        return (), ()
    shown = [(h, mask) for h, mask in bounds if worked[0] <= h <= worked[-1]]
    rows = tuple((r.person.name, tuple(_cell(r, mask, request) for _, mask in shown)) for r in readers)
    return tuple(h for h, _ in shown), rows


def _cell(reader: _Reader, hour: int, request: Request) -> str:
    """One person's hour in a word: the strongest blocking status in their working part of it."""
    if reader.prepared is None:
        return "unknown"
    working = reader.prepared.working & hour
    if not hour:
        return ""
    if not working:
        return "outside hours"
    blocking = request.blocking | ALWAYS_BLOCKING
    blocked = reader.prepared.blocked & working
    for status, word in _STATUS_WORDS:
        if status in blocking and reader.statuses.get(status, 0) & working:
            return word if blocked == working else f"partly {word}"
    return "free"
