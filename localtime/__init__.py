"""Overlap's one model of local time: zones by name (IANA, Windows, any case), Graph's custom zones, the name
Outlook shows for a zone, the clock grid meetings start on, and the zone picker's choices.

Pure (no Django, no I/O but the shipped zone data), and below every app: the Microsoft client, the engine, the
forms and the pages all read local time here, so they cannot disagree about it.
"""

from __future__ import annotations

from localtime.custom import CustomTimeZone, TransitionRule
from localtime.grid import grid_runs, grid_start, on_grid
from localtime.picker import zone_choices
from localtime.zones import (
    UnknownZone,
    canonical_name,
    outlook_name,
    use_shipped_zone_data,
    windows_name,
    windows_to_iana,
    zone_named,
    zone_or_none,
)

__all__ = [
    "CustomTimeZone",
    "TransitionRule",
    "UnknownZone",
    "canonical_name",
    "grid_runs",
    "grid_start",
    "on_grid",
    "outlook_name",
    "use_shipped_zone_data",
    "windows_name",
    "windows_to_iana",
    "zone_choices",
    "zone_named",
    "zone_or_none",
]
