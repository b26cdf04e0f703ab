"""The zone picker's choices: zones grouped by country (pytz's country tables), countries in name order, both
named in the reader's language (CLDR, `localtime.reading`)."""

from __future__ import annotations

import unicodedata
from functools import cache

import pytz

from localtime.reading import country_name, zone_city
from localtime.zones import UnknownZone, canonical_name

ChoiceGroup = tuple[str, tuple[tuple[str, str], ...]]


@cache
def zone_choices(language: str = "en", other: str = "Other") -> tuple[ChoiceGroup, ...]:
    """(country, ((zone name, label), ...)) for every country, then UTC on its own (in the group `other`, the
    caller's word for it); only zones of the shipped data. Countries and cities in `language`."""
    groups = []
    for code in pytz.country_names:
        zones = tuple((name, _label(name, language)) for name in _known(pytz.country_timezones.get(code, [])))
        if zones:
            groups.append((country_name(code, language), zones))
    groups.sort(key=lambda group: casefold_key(group[0]))
    return (*groups, (other, (("UTC", "UTC"),)))


def _known(names: list[str]) -> list[str]:
    found = []
    for name in names:
        try:
            found.append(canonical_name(name))
        except UnknownZone:
            continue
    return found


def _label(name: str, language: str) -> str:
    """ "Kolkata" for India's one zone, "Adelaide" for one of Australia's: the city, as people say it in their
    language ("東京"); its English name where CLDR has none."""
    try:
        return zone_city(name, language)
    except LookupError:
        return name.rsplit("/", 1)[-1].replace("_", " ")


def casefold_key(text: str) -> str:
    """Sort key that puts "Åland" by "Aland" and ignores case: names in any script stay together."""
    return unicodedata.normalize("NFKD", text).casefold()
