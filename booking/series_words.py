"""A series in the reader's words: "Weekly on Tuesday, 26 times, until Aug 24, 2027" (the engine's
`series_words` is its English, for logs and tests); each pattern is one whole sentence per language."""

from __future__ import annotations

from datetime import date

from django.utils.translation import get_language, gettext, ngettext, pgettext

from booking.engine.recurrence import Recurrence
from localtime import reading


def _weekday(index: int, language: str) -> str:
    return str(reading.locale_of(language).days["format"]["wide"][index])


def _monthly_weekday(recurrence: Recurrence, day: str) -> str:
    ordinal = {
        1: pgettext("series", "Monthly on the first %(day)s"),
        2: pgettext("series", "Monthly on the second %(day)s"),
        3: pgettext("series", "Monthly on the third %(day)s"),
        4: pgettext("series", "Monthly on the fourth %(day)s"),
    }
    return ordinal.get(recurrence.index, pgettext("series", "Monthly on the last %(day)s")) % {"day": day}


def _pattern(recurrence: Recurrence, language: str) -> str:
    day = _weekday(min(recurrence.days), language) if recurrence.days else ""
    if recurrence.kind == "weekly":
        if recurrence.interval == 1:
            return gettext("Weekly on %(day)s") % {"day": day}
        every = ngettext("Every %(weeks)d week on %(day)s", "Every %(weeks)d weeks on %(day)s", recurrence.interval)
        return every % {"weeks": recurrence.interval, "day": day}
    if recurrence.kind == "weekdays":
        return gettext("Every weekday")
    if recurrence.kind == "monthly_date":
        return gettext("Monthly on day %(day)d") % {"day": recurrence.day_of_month}
    return _monthly_weekday(recurrence, day)


def series_in_words(recurrence: Recurrence, dates: tuple[date, ...]) -> str:
    """The series as the pages say it, in the active language."""
    language = get_language() or "en"
    pattern = _pattern(recurrence, language)
    if not dates:
        return pattern
    last = reading.day(dates[-1], "date", language)
    counted = ngettext(
        "%(pattern)s, %(count)d time, until %(last)s", "%(pattern)s, %(count)d times, until %(last)s", len(dates)
    )
    return counted % {"pattern": pattern, "count": len(dates), "last": last}
