"""Overlap's availability engine: busy time and working hours in, fairly ranked slots with reasons out.

Pure: no Django, no I/O. All arithmetic is on UTC instants; working hours stay put in each person's local time.
"""

from __future__ import annotations

from booking.engine.blockers import BlockedDay, Blocker, who_blocks
from booking.engine.near import NearMiss, earliest_beyond, near_misses, stretched_hours
from booking.engine.search import best_slots, forget_kept, search
from booking.engine.types import (
    ALWAYS_BLOCKING,
    DAY_NAMES,
    DEFAULT_BLOCKING,
    STATUSES,
    Busy,
    Explanation,
    Person,
    PersonAtSlot,
    RankedSlot,
    Request,
    Result,
    Slot,
    Unreadable,
    WorkingHours,
)

__all__ = [
    "ALWAYS_BLOCKING",
    "DAY_NAMES",
    "DEFAULT_BLOCKING",
    "STATUSES",
    "BlockedDay",
    "Blocker",
    "Busy",
    "Explanation",
    "NearMiss",
    "Person",
    "PersonAtSlot",
    "RankedSlot",
    "Request",
    "Result",
    "Slot",
    "Unreadable",
    "WorkingHours",
    "best_slots",
    "earliest_beyond",
    "forget_kept",
    "near_misses",
    "search",
    "stretched_hours",
    "who_blocks",
]
