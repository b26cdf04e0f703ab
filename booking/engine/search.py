"""The search: hard rules as bitmasks over the window's minutes, then the fair ranking of what is left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from booking.engine.clocks import steady_offset
from booking.engine.masks import count_planes, every, set_bits, spread
from booking.engine.people import Frame, Prepared, day_minutes, prepare, working_time
from booking.engine.ranking import assess
from booking.engine.reasons import Context, OptionalPerson, forget_words
from booking.engine.types import MINUTE, Person, RankedSlot, Request, Result, Unreadable
from booking.engine.words import Vocabulary
from localtime import grid_runs


def search(people: Sequence[Person], request: Request) -> Result:
    """Every slot of the request that all required people can make, ranked fairly, with reasons.

    Hard rules: each required person is free (no blocking status) for the slot and the buffers around it, and
    the slot lies inside their working hours unless they are in `request.widened` (such slots carry a flag);
    slots start on the granularity grid, no sooner than `now + minimum_notice`, and lie inside the window.
    Fails closed: if any required person is unreadable, the result has no slot and says who and why; an
    unreadable optional person is reported as unknown, never as free.

    Ranking: the lowest cost paid by the worst-off required person, then the lowest total, then the most
    optional people free, then the earliest. `best` holds up to `request.best_count` of the top slots that do
    not overlap one another; `slots` holds every slot, earliest first. The same input always gives the same
    result, whatever zones its datetimes were written in.
    """
    _check(people, request)
    unreadable = tuple(Unreadable(p.id, p.name, p.unreadable, p.required) for p in people if p.unreadable is not None)
    missing = [u for u in unreadable if u.required]
    if missing:
        return Result(unreadable=unreadable, failed=_failure(missing, request.vocabulary))
    frame, duration = frame_of(request), request.duration // MINUTE
    required = sorted(
        (prepare(p, frame, request.blocking) for p in people if p.required),
        key=lambda prepared: prepared.person.id != request.you,  # "you" first, then as given
    )
    grid = start_grid(frame, request, duration)
    allowed = _allowed(grid, required, frame, request, duration)
    if not allowed:
        return Result(unreadable=unreadable, notes=_why_empty(grid, required, frame, request, duration))
    optional = [_optional(p, allowed, frame, request, duration) for p in people if not p.required]
    context = Context(frame, duration, request.you, required, optional, request.you_tz, request.vocabulary)
    slots = _ranked(allowed, required, [o.free for o in optional if o.free is not None], context)
    return Result(best=best_slots(slots, request.best_count), slots=tuple(slots), unreadable=unreadable)


def earliest_start(people: Sequence[Person], request: Request) -> datetime | None:
    """The first start `search` would give, without ranking anything (None when it gives none): cheap enough to
    try many changes of a search."""
    _check(people, request)
    if any(p.required and p.unreadable is not None for p in people):
        return None
    frame, duration = frame_of(request), request.duration // MINUTE
    required = [prepare(p, frame, request.blocking) for p in people if p.required]
    allowed = _allowed(start_grid(frame, request, duration), required, frame, request, duration)
    return frame.instant((allowed & -allowed).bit_length() - 1) if allowed else None


def _allowed(grid: int, required: Sequence[Prepared], frame: Frame, request: Request, duration: int) -> int:
    """The starts on the grid every required person can make."""
    allowed = grid
    for person in required:
        allowed &= ~unavailable(person, frame, request, duration, keep_hours=person.person.id not in request.widened)
    return allowed


def _check(people: Sequence[Person], request: Request) -> None:
    instants = (request.start, request.end, request.now)
    if any(value.tzinfo is None or value.utcoffset() is None for value in instants):
        raise ValueError("The window and now must be aware datetimes.")
    for length in (request.duration, request.granularity):
        if length < MINUTE or length % MINUTE:
            raise ValueError("Duration and granularity must be whole minutes.")
    if min(request.minimum_notice, request.buffer_before, request.buffer_after) < timedelta(0):
        raise ValueError("Notice and buffers cannot be negative.")
    if not any(p.required for p in people):
        raise ValueError("A search needs at least one required person.")
    if any(p.unreadable is None and p.hours is None for p in people):
        raise ValueError("Everyone whose calendar was read needs working hours.")
    if len({p.id for p in people}) != len(people):
        raise ValueError("Each person may appear once.")


def _failure(missing: Sequence[Unreadable], words: Vocabulary) -> str:
    who = words.semicolon.join(f"{u.name}: {u.reason}" for u in missing)
    return words.unread.format(who=who)


def frame_of(request: Request) -> Frame:
    start = _ceil_minute(request.start.astimezone(UTC))
    end = _floor_minute(request.end.astimezone(UTC))
    before, after = _minutes(request.buffer_before), _minutes(request.buffer_after)
    return Frame(origin=start - before * MINUTE, size=max((end - start) // MINUTE, 0) + before + after)


def start_grid(frame: Frame, request: Request, duration: int) -> int:
    """Slot starts on the organizer's local grid (`localtime.grid_runs`), after the notice, whose slot ends
    inside the window."""
    before, after = _minutes(request.buffer_before), _minutes(request.buffer_after)
    earliest = max(before, frame.ceil(request.now + request.minimum_notice))
    last = frame.size - after - duration
    if last < earliest:
        return 0
    step, mask = request.granularity // MINUTE, 0
    for first, until in grid_runs(
        frame.instant(earliest), frame.instant(last + 1), request.granularity, request.grid_tz
    ):
        mask |= every(step, frame.floor(first), frame.ceil(until) - 1)
    return mask


def unavailable(person: Prepared, frame: Frame, request: Request, duration: int, *, keep_hours: bool) -> int:
    """Slot starts this person cannot make: a blocking minute within the slot or its buffers, or, when their
    working hours hold, a minute of the slot outside them."""
    before, after = _minutes(request.buffer_before), _minutes(request.buffer_after)
    bad = spread(person.blocked, before + duration + after) << before
    if keep_hours:
        outside = ((1 << frame.size) - 1) & ~person.working
        bad |= spread(outside, duration)
    return bad


def _why_empty(
    grid: int, required: Sequence[Prepared], frame: Frame, request: Request, duration: int
) -> tuple[str, ...]:
    """Why no slot fits, and what the member could try."""
    words = request.vocabulary
    if not grid:
        return (words.too_soon,)
    overlap = grid
    for person in required:
        if person.person.id not in request.widened:
            overlap &= ~spread(((1 << frame.size) - 1) & ~person.working, duration)
    if not overlap:
        names = [p.person.name for p in required if p.person.id not in request.widened]
        said = words.never_overlap if len(names) > 1 else words.no_hours
        return (said.format(names=words.names(names), minutes=duration),)
    return (words.never_free.format(minutes=duration),)


def _optional(person: Person, allowed: int, frame: Frame, request: Request, duration: int) -> OptionalPerson:
    """Among the allowed starts, those an optional person's calendar leaves free, and those they can make."""
    if person.unreadable is not None:
        return OptionalPerson(person, None, None)
    prepared = prepare(person, frame, request.blocking)
    calendar_free = allowed & ~unavailable(prepared, frame, request, duration, keep_hours=False)
    return OptionalPerson(
        person, calendar_free, calendar_free & ~unavailable(prepared, frame, request, duration, keep_hours=True)
    )


def _ranked(allowed: int, required: Sequence[Prepared], optional: Sequence[int], context: Context) -> list[RankedSlot]:
    counts = _free_counts(allowed, optional)
    origin, duration, made = context.frame.origin, context.duration, RankedSlot.made
    length = duration * MINUTE
    slots = []
    for start in set_bits(allowed):
        found = tuple([assess(person, start, duration) for person in required])
        worst = total = 0
        outside = False
        for assessment in found:
            cost = assessment.cost
            total += cost
            worst = cost if cost > worst else worst
            outside = outside or assessment.outside
        begins = origin + start * MINUTE  # `Frame.instant`, written out: it runs for every slot
        slots.append(
            made(begins, begins + length, (worst, total, counts.get(start, 0), outside), context, found, start)
        )
    return slots


def _free_counts(allowed: int, optional: Sequence[int]) -> dict[int, int]:
    """How many optional people are free at each allowed start where any is, read from bit planes (`count_planes`):
    a look-up per slot, where reading the planes per slot cost more than its scores."""
    counts: dict[int, int] = {}
    for level, plane in enumerate(count_planes(optional)):
        for start in set_bits(plane & allowed):
            counts[start] = counts.get(start, 0) + (1 << level)
    return counts


def best_slots(slots: Sequence[RankedSlot], count: int) -> tuple[RankedSlot, ...]:
    """The top slots by rank that do not overlap one another, in rank order."""
    chosen: list[RankedSlot] = []
    # `RankedSlot.rank_key` written out: the key is read for every slot of the search.
    for slot in sorted(slots, key=lambda s: (s.worst, s.total, -s.optional_free_count, s.start)):
        if len(chosen) == count:
            break
        if all(slot.end <= other.start or other.end <= slot.start for other in chosen):
            chosen.append(slot)
    return tuple(chosen)


def _minutes(length: timedelta) -> int:
    return -(-length // MINUTE)


def _ceil_minute(instant: datetime) -> datetime:
    floor = _floor_minute(instant)
    return floor if floor == instant else floor + MINUTE


def _floor_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


def forget_kept() -> None:
    """Drop what the engine keeps for the process (zones' offsets by day, working days, words), so that the next
    search costs what a first one does."""
    steady_offset.cache_clear()
    day_minutes.cache_clear()
    working_time.cache_clear()
    forget_words()
