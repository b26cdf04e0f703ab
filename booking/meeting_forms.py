"""The booking's fields as the confirm page posts them, checked before anything is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils import timezone

import integrations.calendars as calendars
from accounts.models import Membership
from booking.availability import member_zone
from booking.meetings import MAX_ATTENDEES
from booking.rules import BookingRules, booking_rules_of
from booking.services import Slot


def parse_start(text: str) -> datetime:
    """An ISO 8601 instant with its offset (Z or ±hh:mm), in UTC; a time without a zone is refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise forms.ValidationError("The start is not a date and time.") from None
    if value.tzinfo is None:
        raise forms.ValidationError("The start must say its time zone (UTC).")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:30-14:00, which is in the year 10000 in UTC
        raise forms.ValidationError("The start is outside the calendar (years 1 to 9999).") from None


def slot_of(start_text: str, minutes: int, *, rules: BookingRules, zone: tzinfo) -> Slot:
    """A slot on the organization's grid of the organizer's clock (`zone`), in the future, of a duration the
    booking page offers."""
    start = parse_start(start_text)
    if minutes <= 0:
        raise forms.ValidationError("A meeting must end after it starts.")
    if minutes not in rules.durations:
        raise forms.ValidationError(f"A meeting lasts {rules.durations_words} minutes.")
    if not rules.on_grid(start, zone):
        raise forms.ValidationError(rules.grid_words(zone))
    if start <= timezone.now():
        raise forms.ValidationError("This time has passed; pick a time in the future.")
    return Slot(start, start + timedelta(minutes=minutes))


class SlotForm(forms.Form):
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


class BookingForm(SlotForm):
    subject = forms.CharField(max_length=255, required=False)
    agenda = forms.CharField(max_length=10000, required=False)
    teams = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        required = self._people("required")
        optional = self._people("optional")
        if not required:
            raise forms.ValidationError("Choose at least one colleague to meet.")
        if set(required) & set(optional):
            raise forms.ValidationError("A person is either required or optional, not both.")
        if self.organizer in required or self.organizer in optional:
            raise forms.ValidationError("You are the organizer; choose colleagues to invite.")
        if len(required) + len(optional) > MAX_ATTENDEES:
            raise forms.ValidationError(f"A meeting booked here has at most {MAX_ATTENDEES} attendees.")
        outside = calendars.not_enabled(organizer=self.organizer, people=[*required, *optional])
        for person in [*required, *optional]:
            if outside.get(person.pk) == calendars.NO_RECORD:
                raise forms.ValidationError(f"{person.user.display_name} has {calendars.NO_RECORD}.")
            if person.pk in outside:
                raise forms.ValidationError(
                    f"{person.user.display_name} is not enabled for Overlap by your admin ({outside[person.pk]})."
                )
        data["required"], data["optional"] = required, optional
        data["subject"] = (data.get("subject") or "").strip() or self._default_subject(required)
        return data

    def _people(self, field: str) -> list[Membership]:
        """Active members of the organizer's organization, by User.uuid; anyone else is refused by name."""
        values = self.data.getlist(field) if hasattr(self.data, "getlist") else []
        try:
            wanted = list(dict.fromkeys(uuid.UUID(v) for v in values))
        except ValueError:
            raise forms.ValidationError("A chosen person is not known here.") from None
        found = {
            m.user.uuid: m
            for m in Membership.objects.filter(
                organization=self.organizer.organization, is_active=True, user__uuid__in=wanted, user__is_active=True
            ).select_related("user")
        }
        if len(found) != len(wanted):
            raise forms.ValidationError("A chosen person is not an active member of this organization.")
        return [found[w] for w in wanted]

    def _default_subject(self, required: list[Membership]) -> str:
        names = [self.organizer.user.display_name, *(m.user.display_name for m in required[:2])]
        return " / ".join(names)


class CancelForm(forms.Form):
    comment = forms.CharField(max_length=2000, required=False)
