"""The "Repeats" part of the booking forms: how a series repeats and how it ends, read into the engine's
`Recurrence`. As in Outlook, the day (weekday, date of the month, "second Tuesday") is the first day's.

One mixin for the search, the confirmation link and the booking itself, so the three read it the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from booking.engine.recurrence import HORIZON, Recurrence, last_day, occurrence_dates, within_horizon
from booking.occurrences import NearMiss
from localtime import reading

REPEATS = (
    ("", _("Does not repeat")),
    ("weekly", _("Weekly")),
    ("weeks", _("Every N weeks")),
    ("weekdays", _("Every weekday")),
    ("monthly_date", _("Monthly on the date")),
    ("monthly_weekday", _("Monthly on the weekday")),
)
ENDS = (("count", _("After a number of times")), ("until", _("On a date")))
WEEKS = HORIZON.days // 7
SERIES_PARAMS = ("repeats", "every", "ends", "occurrences", "until")
NEAR_MISS_PARAMS = ("skip", "move")  # a near miss's occurrences skipped ("2027-04-13") or moved ("2027-04-20T15:00")


class SeriesFields(forms.Form):
    """How the meeting repeats (nothing: a single meeting, exactly as before) and when the series ends."""

    repeats = forms.ChoiceField(label=_("Repeats"), choices=REPEATS, required=False)
    every = forms.IntegerField(label=_("Every (weeks)"), required=False, min_value=2, max_value=8)
    ends = forms.ChoiceField(label=_("Ends"), choices=ENDS, required=False)
    occurrences = forms.IntegerField(label=_("Times"), required=False, min_value=1, max_value=WEEKS * 5)
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def series_from(self, cleaned: dict[str, Any], first: date | None) -> Recurrence | None:
        """The series asked for, starting on `first`, or None for a single meeting; a problem is added to the
        form (and None returned) when it cannot be searched."""
        kind = cleaned.get("repeats") or ""
        if not kind or first is None or any(name in self.errors for name in SERIES_PARAMS):
            return None
        problem, recurrence = _problem(cleaned, kind, first), None
        if not problem:
            recurrence = _recurrence(cleaned, kind, first)
            if not within_horizon(recurrence):
                problem = gettext(
                    "A series is searched at most %(weeks)d weeks ahead (to %(last)s): end it sooner or with fewer "
                    "times."
                ) % {"weeks": WEEKS, "last": reading.day(last_day(first), "date", get_language() or "en")}
        if problem:
            self.add_error(None, problem)
            return None
        assert recurrence is not None
        cleaned["near_miss"] = self._near_miss(recurrence)
        return recurrence

    def _near_miss(self, recurrence: Recurrence) -> NearMiss:
        """The occurrences the link skips or moves (a near miss booked anyway); a problem is added to the form
        for any that is not one of the series' days, is both, or moves off the organization's grid."""
        try:
            near_miss = _near_miss_of(self.data)
        except ValueError:
            self.add_error(None, "A skipped or moved occurrence is not a date (and time) Overlap can read.")
            return NearMiss()
        dates = set(occurrence_dates(recurrence))
        changed = near_miss.skip | set(near_miss.moves)
        zone, rules = getattr(self, "zone", UTC), getattr(self, "rules", None)
        if not changed <= dates or near_miss.skip & set(near_miss.moves) or len(near_miss.skip) >= len(dates):
            self.add_error(None, "Only the series' own occurrences can be skipped or moved, each once, not all.")
        elif rules and any(
            not rules.on_grid(datetime.combine(d, t, tzinfo=zone), zone) for d, t in near_miss.moves.items()
        ):
            self.add_error(None, f"A moved occurrence: {rules.grid_words(zone)}")
        return near_miss


def _problem(cleaned: dict[str, Any], kind: str, first: date) -> str:
    if kind == "weeks" and not cleaned.get("every"):
        return gettext("Every N weeks: say how many weeks apart (2 to 8).")
    ends, until = cleaned.get("ends"), cleaned.get("until")
    if ends == "count" and not cleaned.get("occurrences"):
        return gettext("Say after how many times the series ends.")
    if ends == "until" and until is None:
        return gettext("Say the date the series ends on.")
    if ends not in ("count", "until"):
        return gettext("Say when the series ends: after a number of times, or on a date.")
    if ends == "until" and until is not None and until < first:
        return gettext("The series ends before its first day.")
    return ""


def recurrence_from(cleaned: dict[str, Any], first: date) -> Recurrence:
    """The series the (valid) fields ask for, starting on `first`, as the confirmation link would read it."""
    return _recurrence(cleaned, cleaned["repeats"], first)


def _recurrence(cleaned: dict[str, Any], kind: str, first: date) -> Recurrence:
    count = cleaned["occurrences"] if cleaned["ends"] == "count" else None
    until = cleaned["until"] if cleaned["ends"] == "until" else None
    week = (first.day - 1) // 7 + 1
    return Recurrence(
        kind="weekly" if kind == "weeks" else kind,
        start=first,
        interval=cleaned.get("every") or 1 if kind == "weeks" else 1,
        days=frozenset({first.weekday()}) if kind in ("weekly", "weeks", "monthly_weekday") else frozenset(),
        day_of_month=first.day,
        index=-1 if week == 5 else week,
        count=count,
        until=until,
    )


def _near_miss_of(data: Any) -> NearMiss:
    """The `skip` and `move` values as given (ValueError for one that is not a date, or a date and time)."""
    values = data.getlist if hasattr(data, "getlist") else lambda name: []
    skip = frozenset(date.fromisoformat(v) for v in values("skip")[: WEEKS * 5])
    moves = {}
    for text in values("move")[: WEEKS * 5]:
        moved = datetime.fromisoformat(text)
        if moved.tzinfo is not None:
            raise ValueError("a moved occurrence is a time of the organizer's day, without a zone")
        moves[moved.date()] = moved.time()
    return NearMiss(skip, moves)


def series_query(cleaned: dict[str, Any]) -> list[tuple[str, str]]:
    """The series fields as a link's query carries them on (none for a single meeting), a near miss's changes
    included."""
    if not cleaned.get("repeats"):
        return []
    found = [(name, str(cleaned[name])) for name in SERIES_PARAMS if cleaned.get(name) not in (None, "")]
    return found + near_miss_query(cleaned.get("near_miss") or NearMiss())


def near_miss_query(near_miss: NearMiss) -> list[tuple[str, str]]:
    found = [("skip", day.isoformat()) for day in sorted(near_miss.skip)]
    return found + [("move", f"{day.isoformat()}T{at:%H:%M}") for day, at in sorted(near_miss.moves.items())]
