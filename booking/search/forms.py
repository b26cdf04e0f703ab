"""The search's forms: what the member asks for, and the time they chose as the confirmation link carries it.

They only read: the forms that write (book, move, cancel, the time zone, the rules) are `booking.forms`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from booking.rules import LONGEST_WINDOW_DAYS, BookingRules
from booking.search.availability import MOST_OPTIONAL, MOST_REQUIRED, member_zone
from booking.search.colleagues import as_uuid, colleagues_by_uuid
from booking.search.room_form import ChosenRoomField, RoomFields
from booking.search.rooms import RoomAsk
from booking.search.series_form import SeriesFields


def next_working_days(today: date, count: int = 10) -> tuple[date, date]:
    """From today (or the next working day) to the `count`th working day: the default range."""
    start = today
    while start.weekday() >= 5:
        start += timedelta(days=1)
    end, seen = start, 1
    while seen < count:
        end += timedelta(days=1)
        seen += end.weekday() < 5
    return start, end


class _People(forms.Form):
    """Required and optional colleagues by User.uuid, looked up in the organizer's organization only."""

    required = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    optional = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args: Any, organizer: Membership, rules: BookingRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizer, self.rules = organizer, rules

    def _values(self, name: str) -> list[str]:
        """The people named by `name`, each UUID as Overlap writes it: a hand-typed link may write one in capitals
        or without hyphens, and it is still the same person (picked once, never the organizer)."""
        data = self.data
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
        values = [str(v).strip() for v in values if str(v).strip()]
        return [str(as_uuid(v) or v) for v in values]  # not a UUID: found as nobody, and refused as such

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["required_members"], cleaned["optional_members"] = [], []
        problem = self._people_problem(cleaned)
        if problem:
            self.add_error(None, problem)
        return cleaned

    def _people_problem(self, cleaned: dict[str, Any]) -> str:
        required, optional = self._values("required"), self._values("optional")
        wanted = required + optional
        if str(self.organizer.user.uuid) in wanted:
            return gettext("You are always in the meeting: pick colleagues, not yourself.")
        if len(set(wanted)) != len(wanted):
            return gettext("Each colleague can be picked once, as required or as optional.")
        if len(required) > MOST_REQUIRED:
            return gettext(
                "At most %(most)d required colleagues in one meeting, %(people)d people with you "
                "(you picked %(picked)d): make some optional."
            ) % {"most": MOST_REQUIRED, "people": MOST_REQUIRED + 1, "picked": len(required)}
        if len(optional) > MOST_OPTIONAL:
            return gettext("At most %(most)d optional colleagues in one meeting (you picked %(picked)d).") % {
                "most": MOST_OPTIONAL,
                "picked": len(optional),
            }
        if not required:
            return gettext("Pick at least one required colleague.")
        found = colleagues_by_uuid(organizer=self.organizer, uuids=wanted)
        if len(found) != len(wanted):
            return gettext(
                "One of the people picked is not a member of your organization: pick colleagues from the list."
            )
        cleaned["required_members"] = [found[u] for u in required]
        cleaned["optional_members"] = [found[u] for u in optional]
        return ""

    def clean_minutes(self) -> int:
        minutes: int = self.cleaned_data["minutes"]
        if minutes not in self.rules.durations:
            raise forms.ValidationError(
                gettext("Pick a duration from %(durations)s.") % {"durations": self.rules.durations_words}
            )
        return minutes


class SearchForm(RoomFields, SeriesFields, _People):
    """What the member asks for; dates are days in the member's own time zone."""

    minutes = forms.IntegerField(label=_("Duration (minutes)"))
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    subject = forms.CharField(max_length=255, required=False)
    agenda = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    teams = forms.BooleanField(label=_("Teams meeting"), required=False)
    widen = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args: Any, zone: tzinfo, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone, self.today = zone, today
        self.fields["minutes"].widget = forms.Select(
            choices=[
                (m, ngettext("%(minutes)d minute", "%(minutes)d minutes", m) % {"minutes": m})
                for m in self.rules.durations
            ]
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and (problem := self._range_problem(start, end)):
            self.add_error(None, problem)
        chosen = {str(m.user.uuid) for m in [*cleaned["required_members"], *cleaned["optional_members"]]}
        widen = self._values("widen")
        if any(value not in chosen for value in widen):
            self.add_error(None, gettext("Only people in this meeting can be searched outside their working hours."))
        cleaned["widened_members"] = [m for m in cleaned["required_members"] if str(m.user.uuid) in widen]
        cleaned["recurrence"] = self.series_from(cleaned, start)
        cleaned["room_ask"] = _room_ask(self, cleaned)
        return cleaned

    def _range_problem(self, start: date, end: date) -> str:
        longest = min(self.rules.longest_window_days, LONGEST_WINDOW_DAYS)
        if end < self.today:
            return gettext("This range is in the past: pick days from today on.")
        if start < self.today:
            return gettext("This range starts in the past: start today or later.")
        if end < start:
            return gettext("The range ends before it starts.")
        if (end - start).days + 1 > longest:
            return gettext("The range can be at most %(days)d days long (%(weeks)d weeks).") % {
                "days": longest,
                "weeks": longest // 7,
            }
        return ""

    @property
    def window(self) -> tuple[datetime, datetime]:
        """From the first day's local midnight to the midnight after the last day, in UTC."""
        start, end = self.cleaned_data["start_date"], self.cleaned_data["end_date"] + timedelta(days=1)
        return _midnight(start, self.zone), _midnight(end, self.zone)


class ConfirmLinkForm(ChosenRoomField, RoomFields, SeriesFields, _People):
    """The chosen time, as the confirmation link carries it: the people, the start and the duration."""

    start = forms.CharField()
    minutes = forms.IntegerField()
    subject = forms.CharField(max_length=255, required=False)
    agenda = forms.CharField(max_length=4000, required=False)
    teams = forms.BooleanField(required=False)

    @property
    def zone(self) -> tzinfo:
        """The organizer's page zone: the grid a start must be on."""
        return member_zone(self.organizer)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start = cleaned.get("start")
        cleaned["recurrence"] = self.series_from(cleaned, start.astimezone(self.zone).date() if start else None)
        cleaned["room_ask"] = _room_ask(self, cleaned)
        cleaned["room_chosen"] = self.chosen_room(self.organizer, cleaned["room_ask"])
        return cleaned

    def clean_start(self) -> datetime:
        text = self.cleaned_data["start"]
        try:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(
                gettext("The start time is not a time (expected e.g. 2027-01-05T14:00:00Z).")
            ) from None
        if start.tzinfo is None:
            raise forms.ValidationError(gettext("The start time must say its zone (e.g. 2027-01-05T14:00:00Z)."))
        try:
            start = start.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:30-14:00, which is in the year 10000 in UTC
            raise forms.ValidationError(gettext("The start time is outside the calendar (years 1 to 9999).")) from None
        if start <= datetime.now(UTC):
            raise forms.ValidationError(gettext("This time has already passed: search again for a later one."))
        if not self.rules.on_grid(start, self.zone):
            raise forms.ValidationError(self.rules.grid_words(self.zone))
        return start


def _room_ask(form: RoomFields | _People, cleaned: dict[str, Any]) -> RoomAsk | None:
    """The room asked for, everyone in the meeting counted for its seats; a series with a room is refused (a
    room's policy declines a whole series for one conflicting occurrence, and series rooms are not searched)."""
    assert isinstance(form, RoomFields) and isinstance(form, _People)
    people = 1 + len(cleaned["required_members"]) + len(cleaned["optional_members"])
    ask = form.room_ask_from(cleaned, organizer=form.organizer, people=people)
    if ask is not None and cleaned.get("recurrence") is not None:
        form.add_error(None, "A room for a series is not offered yet: book the series with no room.")
        return None
    return ask


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
