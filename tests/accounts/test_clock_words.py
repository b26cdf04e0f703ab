"""A time of day in each language, read from a table of the day's minutes instead of formatted each time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from django.conf import settings

from localtime import reading


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_every_minute_reads_as_cldr_writes_it_in_each_language_and_zone_across_a_clock_change(language: str) -> None:
    locale = reading.locale_of(language)
    for zone in ("America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"):
        midnight = datetime(2027, 3, 14, tzinfo=ZoneInfo(zone))  # New York springs forward this day
        for minutes in range(0, 26 * 60, 5):
            moment = (midnight + timedelta(minutes=minutes)).astimezone(midnight.tzinfo)
            cldr = format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale).replace("\u202f", "\u00a0")
            assert reading.clock(moment, language) == cldr, (language, moment)


def test_a_clock_with_a_zone_or_seconds_is_not_read_from_the_table() -> None:
    assert reading.hour_and_minute_only("h:mm a")
    assert reading.hour_and_minute_only("HH:mm 'Uhr'")  # quoted words are words
    assert reading.hour_and_minute_only("HH:mm น.")  # as are letters of other scripts
    assert reading.hour_and_minute_only("Bh:mm")  # the part of the day ("in the morning")
    assert not reading.hour_and_minute_only("HH:mm z")
    assert not reading.hour_and_minute_only("H:mm:ss")
    assert not reading.hour_and_minute_only("d/M HH:mm")
