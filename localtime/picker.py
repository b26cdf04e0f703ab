"""The zone picker's choices: zones grouped by country (pytz's country tables), countries in name order."""

from __future__ import annotations

from functools import cache

import pytz

from localtime.zones import UnknownZone, canonical_name

ChoiceGroup = tuple[str, tuple[tuple[str, str], ...]]


@cache
def zone_choices() -> tuple[ChoiceGroup, ...]:
    """(country, ((zone name, label), ...)) for every country, then UTC on its own; only zones of the shipped data."""
    groups = []
    for code, country in sorted(pytz.country_names.items(), key=lambda item: item[1]):
        zones = tuple((name, _label(name)) for name in _known(pytz.country_timezones.get(code, [])))
        if zones:
            groups.append((country, zones))
    return (*groups, ("Other", (("UTC", "UTC"),)))


def _known(names: list[str]) -> list[str]:
    found = []
    for name in names:
        try:
            found.append(canonical_name(name))
        except UnknownZone:
            continue
    return found


def _label(name: str) -> str:
    """ "Kolkata" for India's one zone, "Adelaide" for one of Australia's: the city, as people say it."""
    return name.rsplit("/", 1)[-1].replace("_", " ")
