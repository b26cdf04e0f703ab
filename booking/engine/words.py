"""The words the engine writes with: English by default, any language when its caller gives them.

The engine stays pure (no Django, no translation machinery): `booking.search.words` fills a `Vocabulary` from the
reader's catalogue and clock, and hands it in with the `Request`. Each entry is a whole phrase with named fields
(`str.format`), never a fragment: a language puts the names where its grammar wants them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

_CLOCKS = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))  # "HH:MM" of each minute


def _english_when(moment: datetime) -> str:
    return f"{moment:%A %-d %B %H:%M}"  # "Monday 2 March 09:00"


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A language's words for the reasons of a time and for why no time fits. Compared and hashed as itself (the
    reasons keep their words per vocabulary): a language has one, made once."""

    clocks: tuple[str, ...] = _CLOCKS  # each minute of the day on the reader's clock
    weekdays: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    # The parts of a day ("mid-morning", "evening", …) and of a focus block ("morning", …), by their English name.
    parts: tuple[tuple[str, str], ...] = ()
    you: str = "you"
    your: str = "your"
    whose: str = "{name}'s"
    time_for: str = "{clock} for {names}"
    outside: str = "outside {whose} working hours, {clock} for {who}"
    day_start: str = "at the start of {whose} working day"
    day_end: str = "at the end of {whose} working day"
    lunch: str = "over {whose} lunch hour"
    right_after: str = "right after another of {whose} meetings"
    right_before: str = "right before another of {whose} meetings"
    between: str = "between two of {whose} meetings"
    cuts: str = "cuts {whose} {part} focus block"
    keeps: str = "keeps {whose} {part} focus block"
    optional: str = "optional: {people}"
    optional_free: str = "{names} free"
    optional_busy: str = "{names} busy"
    optional_outside: str = "{names} outside working hours"
    optional_unknown: str = "{names} unknown"
    two: str = "{first} and {last}"  # two names; more are "{first}, {second} and {last}"
    comma: str = ", "
    semicolon: str = "; "
    dash: str = " — "
    unread: str = "No time can be suggested until every required person's calendar can be read ({who})."
    too_soon: str = "The range ends before the earliest time allowed (now plus the minimum notice)."
    never_overlap: str = (
        "The working hours of {names} never overlap for {minutes} minutes in this range; search outside someone's "
        "working hours, or try another range."
    )
    no_hours: str = "{names} has no {minutes} minutes of working hours in this range; try another range."
    never_free: str = (
        "Everyone's working hours overlap, but no {minutes} minutes are free in every calendar at once; try a "
        "shorter meeting or a longer range."
    )

    # Who blocks, day by day (`blockers`): the statuses, why a person has no time, and why a day has none.
    statuses: tuple[tuple[str, str], ...] = ()  # by the English word ("out of office" -> …)
    all_day: str = "{statuses} all day"
    through_hours: str = "{statuses} through their working hours"
    no_free_minutes: str = "no free {minutes} minutes in their working hours (with the buffers)"
    unreadable: str = "calendar could not be read (never counted as free)"
    off_all_day: str = "outside their working hours all day"
    day_ruled_out: str = (
        "No meeting can start this day under your organization's rules (too soon, or outside the range)."
    )
    hours_never_meet: str = "Everyone works this day, but their working hours never overlap for the meeting."
    never_together: str = "Everyone has free time this day, but never at the same time."

    # The ways out of a search that found nothing (`near`): a day and time on the page's clock, and each change.
    when: Callable[[datetime], str] = _english_when
    earliest_for_everyone: str = "the earliest time for everyone is {when}"
    works_if_optional: str = "{when} works if {name} is optional"
    shorter_fits: str = "a {minutes}-minute meeting fits on {when}"
    works_if_early: str = "{when} works if {name} starts {minutes} minutes early ({clock} for {name})"
    works_if_late: str = "{when} works if {name} stays {minutes} minutes late ({clock} for {name})"

    def status(self, english: str) -> str:
        return dict(self.statuses).get(english, english)

    def part(self, english: str) -> str:
        return dict(self.parts).get(english, english)

    def names(self, names: Sequence[str]) -> str:
        """Names as a sentence joins them: Anna; Anna and Ravi; Anna, Ravi and Sam."""
        if len(names) == 1:
            return names[0]
        return self.two.format(first=self.comma.join(names[:-1]), last=names[-1])


ENGLISH = Vocabulary()
