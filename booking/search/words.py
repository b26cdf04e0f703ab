"""The engine's words (`booking.engine.words.Vocabulary`) in the reader's language and on their clock.

The engine writes English unless told otherwise; every search of the booking pages hands it the vocabulary of the
language the page is in, made once per language from the catalogues and CLDR's clock (`localtime.reading`).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, partial

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from booking.engine.words import Vocabulary
from localtime import reading


def _parts() -> tuple[tuple[str, str], ...]:
    """The parts of a day and of a focus block, by the English name the engine gives them."""
    return (
        ("night", pgettext("part of a day", "night")),
        ("early morning", pgettext("part of a day", "early morning")),
        ("morning", pgettext("part of a day", "morning")),
        ("mid-morning", pgettext("part of a day", "mid-morning")),
        ("late morning", pgettext("part of a day", "late morning")),
        ("midday", pgettext("part of a day", "midday")),
        ("early afternoon", pgettext("part of a day", "early afternoon")),
        ("afternoon", pgettext("part of a day", "afternoon")),
        ("late afternoon", pgettext("part of a day", "late afternoon")),
        ("evening", pgettext("part of a day", "evening")),
    )


def vocabulary() -> Vocabulary:
    """The words of the language now active (the reader's)."""
    return vocabulary_of(translation.get_language() or "en")


@cache
def vocabulary_of(language: str) -> Vocabulary:
    with translation.override(language):
        return Vocabulary(
            clocks=_clocks(language),
            weekdays=tuple(reading.day(datetime(2024, 1, 1 + d), "weekday", language) for d in range(7)),
            parts=_parts(),
            you=pgettext("reasons of a time", "you"),
            your=pgettext("reasons of a time", "your"),
            whose=_("{name}'s"),
            time_for=_("{clock} for {names}"),
            outside=_("outside {whose} working hours, {clock} for {who}"),
            day_start=_("at the start of {whose} working day"),
            day_end=_("at the end of {whose} working day"),
            lunch=_("over {whose} lunch hour"),
            right_after=_("right after another of {whose} meetings"),
            right_before=_("right before another of {whose} meetings"),
            between=_("between two of {whose} meetings"),
            cuts=_("cuts {whose} {part} focus block"),
            keeps=_("keeps {whose} {part} focus block"),
            optional=_("optional: {people}"),
            optional_free=_("{names} free"),
            optional_busy=_("{names} busy"),
            optional_outside=_("{names} outside working hours"),
            optional_unknown=_("{names} unknown"),
            two=_("{first} and {last}"),
            comma=pgettext("between names or phrases", ", "),
            semicolon=pgettext("between reasons", "; "),
            dash=pgettext("between the times and the reasons", " — "),
            unread=_("No time can be suggested until every required person's calendar can be read ({who})."),
            too_soon=_("The range ends before the earliest time allowed (now plus the minimum notice)."),
            never_overlap=_(
                "The working hours of {names} never overlap for {minutes} minutes in this range; search outside "
                "someone's working hours, or try another range."
            ),
            no_hours=_("{names} has no {minutes} minutes of working hours in this range; try another range."),
            when=partial(_when, language=language),
            earliest_for_everyone=_("the earliest time for everyone is {when}"),
            works_if_optional=_("{when} works if {name} is optional"),
            shorter_fits=_("a {minutes}-minute meeting fits on {when}"),
            works_if_early=_("{when} works if {name} starts {minutes} minutes early ({clock} for {name})"),
            works_if_late=_("{when} works if {name} stays {minutes} minutes late ({clock} for {name})"),
            statuses=_statuses(),
            all_day=_("{statuses} all day"),
            through_hours=_("{statuses} through their working hours"),
            no_free_minutes=_("no free {minutes} minutes in their working hours (with the buffers)"),
            unreadable=_("calendar could not be read (never counted as free)"),
            off_all_day=_("outside their working hours all day"),
            day_ruled_out=_(
                "No meeting can start this day under your organization's rules (too soon, or outside the range)."
            ),
            hours_never_meet=_("Everyone works this day, but their working hours never overlap for the meeting."),
            never_together=_("Everyone has free time this day, but never at the same time."),
            never_free=_(
                "Everyone's working hours overlap, but no {minutes} minutes are free in every calendar at once; try "
                "a shorter meeting or a longer range."
            ),
        )


def _when(moment: datetime, language: str) -> str:
    """A day and time of a way out, on the page's clock: "Monday, March 2, 9:00 AM"."""
    return reading.day_and_clock(moment, "day", language)


def _statuses() -> tuple[tuple[str, str], ...]:
    """The free/busy statuses, by the English word the engine gives them."""
    return (
        ("out of office", pgettext("free/busy status", "out of office")),
        ("busy", pgettext("free/busy status", "busy")),
        ("unknown", pgettext("free/busy status", "unknown")),
        ("tentative", pgettext("free/busy status", "tentative")),
        ("working elsewhere", pgettext("free/busy status", "working elsewhere")),
        ("free", pgettext("free/busy status", "free")),
    )


# An hour of a person's day on the booking page's grid, as the engine words it. Its English word is also the cell's
# class, so the page translates it as it shows it (`{% translate c context "an hour of a person's day" %}`); marked
# here, lazily, for the catalogues.
HOUR_WORDS = (
    pgettext_lazy("an hour of a person's day", "out of office"),
    pgettext_lazy("an hour of a person's day", "busy"),
    pgettext_lazy("an hour of a person's day", "unknown"),
    pgettext_lazy("an hour of a person's day", "tentative"),
    pgettext_lazy("an hour of a person's day", "working elsewhere"),
    pgettext_lazy("an hour of a person's day", "free"),
    pgettext_lazy("an hour of a person's day", "partly out of office"),
    pgettext_lazy("an hour of a person's day", "partly busy"),
    pgettext_lazy("an hour of a person's day", "partly unknown"),
    pgettext_lazy("an hour of a person's day", "partly tentative"),
    pgettext_lazy("an hour of a person's day", "partly working elsewhere"),
    pgettext_lazy("an hour of a person's day", "outside hours"),
)


def _clocks(language: str) -> tuple[str, ...]:
    day = datetime(2024, 1, 1)
    return tuple(reading.clock(day.replace(hour=m // 60, minute=m % 60), language) for m in range(24 * 60))
