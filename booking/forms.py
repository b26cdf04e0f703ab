"""The forms that write, each checked before anything is written: the booking as the confirm page posts it, a
meeting's new time, its cancel, the member's time zone and the organization's booking rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

import integrations.calendars as calendars
from accounts.models import Membership
from booking.engine import Slot
from booking.models import MAX_ATTENDEES
from booking.rules import (
    CHOOSABLE_STATUSES,
    GRANULARITIES,
    LONGEST,
    LONGEST_WINDOW_DAYS,
    SHORTEST,
    BookingRules,
    booking_rules_of,
    durations_words,
)
from booking.search.availability import member_zone
from booking.search.room_form import ChosenRoomField, RoomFields
from booking.search.series_form import SeriesFields
from localtime import UnknownZone, canonical_name

_EVERY = ngettext_lazy("every %(minutes)d minute", "every %(minutes)d minutes", "minutes")


def parse_start(text: str) -> datetime:
    """An ISO 8601 instant with its offset (Z or ±hh:mm), in UTC; a time without a zone is refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise forms.ValidationError(gettext("The start is not a date and time.")) from None
    if value.tzinfo is None:
        raise forms.ValidationError(gettext("The start must say its time zone (UTC)."))
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:30-14:00, which is in the year 10000 in UTC
        raise forms.ValidationError(gettext("The start is outside the calendar (years 1 to 9999).")) from None


def slot_of(start_text: str, minutes: int, *, rules: BookingRules, zone: tzinfo) -> Slot:
    """A slot on the organization's grid of the organizer's clock (`zone`), in the future, of a duration the
    booking page offers."""
    start = parse_start(start_text)
    if minutes <= 0:
        raise forms.ValidationError(gettext("A meeting must end after it starts."))
    if minutes not in rules.durations:
        raise forms.ValidationError(
            gettext("A meeting lasts %(durations)s minutes.") % {"durations": rules.durations_words}
        )
    if not rules.on_grid(start, zone):
        raise forms.ValidationError(rules.grid_words(zone))
    if start <= timezone.now():
        raise forms.ValidationError(gettext("This time has passed; pick a time in the future."))
    return Slot(start, start + timedelta(minutes=minutes))


class NewTimeForm(forms.Form):
    """A start and a duration, checked against the organization's rules: a meeting's new time (reschedule), and
    the time a booking is made for."""

    start = forms.CharField(max_length=40)
    minutes = forms.IntegerField(min_value=-100000, max_value=100000)

    def __init__(self, *args: Any, organizer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizer, self.zone = organizer, member_zone(organizer)
        self.rules = booking_rules_of(organization=organizer.organization)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "start" in data and "minutes" in data:
            data["slot"] = slot_of(data["start"], data["minutes"], rules=self.rules, zone=self.zone)
        return data


class BookingForm(ChosenRoomField, RoomFields, SeriesFields, NewTimeForm):
    subject = forms.CharField(max_length=255, required=False)
    agenda = forms.CharField(max_length=10000, required=False)
    teams = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        required = self._people("required")
        optional = self._people("optional")
        if not required:
            raise forms.ValidationError(gettext("Choose at least one colleague to meet."))
        if set(required) & set(optional):
            raise forms.ValidationError(gettext("A person is either required or optional, not both."))
        if self.organizer in required or self.organizer in optional:
            raise forms.ValidationError(gettext("You are the organizer; choose colleagues to invite."))
        if len(required) + len(optional) > MAX_ATTENDEES:
            raise forms.ValidationError(
                gettext("A meeting booked here has at most %(most)d attendees.") % {"most": MAX_ATTENDEES}
            )
        outside = calendars.not_enabled(organizer=self.organizer, people=[*required, *optional])
        for person in [*required, *optional]:
            why = outside.get(person.pk)
            if why is not None and why.no_mailbox:
                raise forms.ValidationError(
                    gettext("%(name)s has %(why)s.") % {"name": person.user.display_name, "why": why}
                )
            if why is not None:
                raise forms.ValidationError(
                    gettext("%(name)s is not enabled for Overlap by your admin (%(why)s).")
                    % {"name": person.user.display_name, "why": why}
                )
        data["required"], data["optional"] = required, optional
        data["subject"] = (data.get("subject") or "").strip() or self._default_subject(required)
        slot = data.get("slot")
        data["recurrence"] = self.series_from(data, slot.start.astimezone(self.zone).date() if slot else None)
        data["room_ask"] = self.room_ask_from(data, organizer=self.organizer, people=1 + len(required) + len(optional))
        if data["room_ask"] is not None and data["recurrence"] is not None:
            raise forms.ValidationError("A room for a series is not offered yet: book the series with no room.")
        data["room_chosen"] = self.chosen_room(self.organizer, data["room_ask"])
        return data

    def _people(self, field: str) -> list[Membership]:
        """Active members of the organizer's organization, by User.uuid; anyone else is refused by name."""
        values = self.data.getlist(field) if hasattr(self.data, "getlist") else []
        try:
            wanted = list(dict.fromkeys(uuid.UUID(v) for v in values))
        except ValueError:
            raise forms.ValidationError(gettext("A chosen person is not known here.")) from None
        found = {
            m.user.uuid: m
            for m in Membership.objects.filter(
                organization=self.organizer.organization, is_active=True, user__uuid__in=wanted, user__is_active=True
            ).select_related("user")
        }
        if len(found) != len(wanted):
            raise forms.ValidationError(gettext("A chosen person is not an active member of this organization."))
        return [found[w] for w in wanted]

    def _default_subject(self, required: list[Membership]) -> str:
        names = [self.organizer.user.display_name, *(m.user.display_name for m in required[:2])]
        return " / ".join(names)


class CancelForm(forms.Form):
    comment = forms.CharField(max_length=2000, required=False)


class OccurrenceForm(forms.Form):
    """One occurrence of a series, named by where the pattern put it (its original start, in UTC)."""

    occurrence = forms.CharField(max_length=40)

    def clean_occurrence(self) -> datetime:
        return parse_start(self.cleaned_data["occurrence"])


class OccurrenceCancelForm(OccurrenceForm):
    """Cancel it ("one") or it and the following ones ("following"); `comment` goes to the attendees."""

    scope = forms.ChoiceField(
        choices=(("one", "This occurrence"), ("following", "This and the following")), required=False
    )
    comment = forms.CharField(max_length=2000, required=False)


class OccurrenceMoveForm(OccurrenceForm):
    """Move it to `at` on its own day, a time of the organizer's day."""

    at = forms.TimeField()


class SeriesMoveForm(forms.Form):
    """Move the whole series to `at`, a time of the organizer's day (every occurrence keeps its own day)."""

    at = forms.TimeField()


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(max_length=64, label=_("Your time zone"))

    def clean_time_zone(self) -> str:
        """The zone's IANA name as the shipped data spells it, for any IANA or Windows name in any case."""
        name: str = self.cleaned_data["time_zone"].strip()
        try:
            return canonical_name(name)
        except UnknownZone:
            raise forms.ValidationError(
                gettext("“%(name)s” is not a time zone Overlap knows: pick one from the list.") % {"name": name}
            ) from None


class RulesForm(forms.ModelForm[BookingRules]):
    blocking_statuses = forms.MultipleChoiceField(
        choices=CHOOSABLE_STATUSES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Statuses that block a time"),
        help_text=_("A status nobody could read always blocks."),
    )
    granularity_minutes = forms.TypedChoiceField(
        choices=[(g, _EVERY % {"minutes": g}) for g in GRANULARITIES], coerce=int, label=_("Times start")
    )

    class Meta:
        model = BookingRules
        fields = (
            "blocking_statuses",
            "minimum_notice_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "granularity_minutes",
            "default_duration_minutes",
            "longest_window_days",
        )
        labels = {
            "minimum_notice_minutes": _("Minimum notice (minutes)"),
            "buffer_before_minutes": _("Free time before a meeting (minutes)"),
            "buffer_after_minutes": _("Free time after a meeting (minutes)"),
            "default_duration_minutes": _("Default duration (minutes)"),
            "longest_window_days": _("Longest range (days)"),
        }

    def clean_minimum_notice_minutes(self) -> int:
        return _at_most(
            self.cleaned_data["minimum_notice_minutes"], 7 * 24 * 60, gettext("The notice can be at most %(most)s.")
        )

    def clean_buffer_before_minutes(self) -> int:
        return _at_most(self.cleaned_data["buffer_before_minutes"], 120, gettext("A buffer can be at most %(most)s."))

    def clean_buffer_after_minutes(self) -> int:
        return _at_most(self.cleaned_data["buffer_after_minutes"], 120, gettext("A buffer can be at most %(most)s."))

    def clean_longest_window_days(self) -> int:
        days = _at_most(
            self.cleaned_data["longest_window_days"], LONGEST_WINDOW_DAYS, gettext("The range can be at most %(most)s.")
        )
        if days < 1:
            raise forms.ValidationError(gettext("The range must allow at least one day."))
        return days

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        duration, step = cleaned.get("default_duration_minutes"), cleaned.get("granularity_minutes")
        if duration is not None and step and (duration % step or not SHORTEST <= duration <= LONGEST):
            self.add_error(
                "default_duration_minutes",
                gettext("The default duration must be %(durations)s.") % {"durations": durations_words(step)},
            )
        return cleaned


def _at_most(value: int, most: int, refusal: str) -> int:
    if value > most:
        raise forms.ValidationError(refusal % {"most": most})
    return value
