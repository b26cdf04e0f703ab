"""How a moment reads for a person: their language's clock (12- or 24-hour), day and month names, the first day of
their week, and the names they know for zones, from CLDR (Babel's data).

Pure like the rest of localtime/: the caller names the language (a Django code such as "pt-br", or a CLDR one);
the pages reach it through `accounts.templatetags.moments`, the one place a page writes a time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_datetime, format_skeleton, format_time, get_timezone_location, match_skeleton
from babel.lists import format_list

# What a page may ask for, each a CLDR skeleton (the locale orders the fields and writes the words).
DAY_SHAPES = {
    "weekday": "EEE",  # Tue / 火
    "month_day": "MMMd",  # Jan 5 / 1月5日
    "short_day": "MMMEd",  # Tue, Jan 5 / 1月5日(火)
    "day": "MMMMEEEEd",  # Tuesday, January 5 / 1月5日火曜日
    "date": "yMMMd",  # Jan 5, 2027 / 2027/01/05
    "short_date": "yMMMEd",  # Tue, Jan 5, 2027
    "long_date": "yMMMMEEEEd",  # Tuesday, January 5, 2027
}


@cache
def locale_of(language: str) -> Locale:
    """The CLDR locale of a language code ("en", "pt-br", "ja"); English (US) for one CLDR does not know."""
    try:
        locale = Locale.parse(language.replace("-", "_"), sep="_")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    if locale.territory is None:  # "en" is en_US and "ja" ja_JP in CLDR's likely subtags: their week starts Sunday
        likely = get_global("likely_subtags").get(locale.language)
        return Locale.parse(likely) if likely else locale
    return locale


def clock(moment: datetime, language: str) -> str:
    """The time of day on the moment's own clock: "2:00 PM" (en), "14:00" (de, ja). CLDR's narrow no-break space
    before "PM" becomes a plain no-break one: it still never breaks the line there, and every font has it."""
    table = clocks(language)
    if table:
        return table[moment.hour * 60 + moment.minute]
    return _clock(moment, locale_of(language))


@lru_cache(maxsize=32)
def clocks(language: str) -> tuple[str, ...]:
    """Every minute of the day on the language's clock, from midnight, read by `clock`: a search's page writes
    hundreds of times, and CLDR formatting each took a sixth of a fresh search's CPU (bench/SEARCH_PROFILE.md,
    seventh pass). Empty for a language whose short time writes more than the hour, the minute and the part of
    the day (a zone or seconds): each of its times is formatted on its own."""
    locale = locale_of(language)
    if not hour_and_minute_only(str(locale.time_formats["short"].pattern)):
        return ()
    midnight = datetime(2024, 1, 1)
    return tuple(_clock(midnight + timedelta(minutes=m), locale) for m in range(24 * 60))


def hour_and_minute_only(pattern: str) -> bool:
    """Whether a CLDR time pattern writes nothing but the hour, the minute, AM/PM or the part of the day, and words:
    once its quoted words and those fields are gone, any ASCII letter left is a field of something else."""
    return not re.search(r"[A-Za-z]", re.sub(r"'[^']*'|[hHkKmabB]+", "", pattern))


def _clock(moment: datetime, locale: Locale) -> str:
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale).replace("\u202f", "\u00a0")


def day(value: date | datetime, shape: str, language: str) -> str:
    """A day in one of `DAY_SHAPES`, in the language's words and order."""
    locale = locale_of(language)
    return format_datetime(value, _pattern(DAY_SHAPES[shape], locale), tzinfo=_zone(value), locale=locale)


def day_and_clock(moment: datetime, shape: str, language: str) -> str:
    """A day (one of `DAY_SHAPES`) and a time, joined as the language joins them ("Tue, Jan 5, 2:00 PM")."""
    locale = locale_of(language)
    joined = str(locale.datetime_formats["medium"]).replace("'", "")
    return joined.replace("{1}", day(moment, shape, language)).replace("{0}", clock(moment, language))


def hour(value: int, language: str) -> str:
    """An hour of the day (0-23) alone, as the language names it: "9 AM", "9時", "09 Uhr"."""
    locale = locale_of(language)
    twelve = "h" in str(locale.time_formats["short"].pattern)  # CLDR's "j": the hour the language's clock uses
    return format_skeleton("h" if twelve else "H", datetime(2000, 1, 3, value), locale=locale).replace(
        "\u202f", "\u00a0"
    )


def listed(items: Sequence[str], language: str) -> str:
    """Names as the language lists them: "Ana, Ben, and Cho" (en), "Ana、Ben、Cho" (ja)."""
    return format_list(list(items), locale=locale_of(language)) if items else ""


def first_weekday(language: str) -> int:
    """The day a week starts on where this language is spoken by default: 0 Monday ... 6 Sunday (Sunday in en-US,
    ja and pt-BR; Monday in de, fr, es)."""
    return int(locale_of(language).first_week_day)


def zone_city(zone: str, language: str) -> str:
    """The city a zone is named after, as the language writes it: "Tokyo", "東京", "Tóquio"."""
    return str(get_timezone_location(zone, locale=locale_of(language), return_city=True))


def country_name(code: str, language: str) -> str:
    """A country (ISO 3166 code) in the language: "Germany", "ドイツ"; the code itself if CLDR lacks it."""
    return str(locale_of(language).territories.get(code, code))


@cache
def _pattern(skeleton: str, locale: Locale) -> str:
    """The locale's pattern for a skeleton, with a weekday or month as long as the skeleton asks: CLDR's nearest
    pattern may abbreviate them ("Tue" for "EEEE"), which its skeleton matching lengthens again."""
    pattern = str(locale.datetime_skeletons[match_skeleton(skeleton, locale.datetime_skeletons)].pattern)
    if "EEEE" in skeleton:
        pattern = re.sub(r"(?<!E)E{1,3}(?!E)", "EEEE", pattern)
    if "MMMM" in skeleton:
        pattern = re.sub(r"(?<!M)M{3}(?!M)", "MMMM", pattern)
    return pattern


def _zone(value: date | datetime) -> tzinfo | None:
    return value.tzinfo if isinstance(value, datetime) else None
