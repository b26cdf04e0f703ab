"""What a slot costs each person: the fairness half of the engine. Costs are small integers so that ties are
real ties, and ties fall through to the next rule of the ranking."""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from booking.engine.people import Prepared

EDGE_NEAR, EDGE_CLOSE = 30, 60  # minutes from the start or end of the working day
BACK_TO_BACK = 15  # a gap shorter than this to another meeting is back to back
FOCUS = 120  # a free stretch of two hours or more is focus time
OUTSIDE = 6  # the least a slot outside someone's working hours costs them
NEVER = 1 << 62


class Assessment(NamedTuple):
    cost: int
    outside: bool = False
    edge: str = ""  # "start", "end" or ""
    lunch: bool = False
    back_to_back: str = ""  # "after", "before", "between" or ""
    focus: str = ""  # "cuts", "keeps" or ""
    focus_middle: int = 0  # the minute in the middle of that free stretch


# A named tuple's own constructor is a Python function; tuple's, given every field, makes the same value in C.
_made = tuple.__new__


def assess(person: Prepared, start: int, duration: int) -> Assessment:
    """The cost of [start, start + duration) for one person who is free then (the hard rules hold).

    Called for every candidate slot and person, so it is written for speed: no helper calls on the usual path.
    """
    end = start + duration
    starts = person.busy_starts
    index = bisect_right(starts, start)
    before = person.busy_ends[index - 1] if index else -NEVER
    after = starts[index] if index < len(starts) else NEVER
    after_one, before_one = start - before < BACK_TO_BACK, after - end < BACK_TO_BACK
    adjacent = ("between" if before_one else "after") if after_one else "before" if before_one else ""
    day_index = bisect_right(person.day_starts, start) - 1
    day = person.days[day_index] if day_index >= 0 else None
    if day is None or end > day.end:
        return Assessment(OUTSIDE + min(_hours_outside(person, start, end), 6), outside=True, back_to_back=adjacent)
    cost = after_one + before_one
    from_start, to_end = start - day.start, day.end - end
    edge_distance = from_start if from_start < to_end else to_end
    edge = ""
    if edge_distance < EDGE_CLOSE:
        edge = "start" if from_start < to_end else "end"
        cost += 2 if edge_distance < EDGE_NEAR else 1
    lunch = (end if end < day.lunch_end else day.lunch_end) - (start if start > day.lunch_start else day.lunch_start)
    if lunch > 0:
        cost += 2 if lunch >= 30 else 1
    free_from = day.start if day.start > before else before
    free_to = day.end if day.end < after else after
    focus, middle = "", 0
    if free_to - free_from >= FOCUS:
        room_before, room_after = start - free_from, free_to - end
        if room_before < FOCUS and room_after < FOCUS:
            focus, cost, middle = "cuts", cost + 2, (free_from + free_to) // 2
        elif room_before < EDGE_NEAR or room_after < EDGE_NEAR:  # tucked against one end, the rest stays whole
            focus = "keeps"
            middle = (end + free_to) // 2 if room_after > room_before else (free_from + start) // 2
    return _made(Assessment, (cost, False, edge, lunch > 0, adjacent, focus, middle))


def _hours_outside(person: Prepared, start: int, end: int) -> int:
    """Whole hours between the slot and the nearest edge of a working day."""
    day = person.day_at(start)
    distances = [end - day.end] if day is not None else []
    following = person.next_day_start(start)
    if following is not None:
        distances.append(following - start)
    positive = [d for d in distances if d > 0]
    return min(positive) // 60 if positive else 0
