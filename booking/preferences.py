"""Writes behind the booking page's settings: a member's time zone, their usual building (the room list of the
last room they booked), and the organization's booking rules."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict

import integrations.calendars as calendars
from accounts import audit
from accounts.models import Membership
from booking.forms import RulesForm, TimeZoneForm
from booking.models import RoomPreference
from booking.rules import booking_rules_of


def time_zone_save(*, membership: Membership, data: QueryDict) -> TimeZoneForm:
    """Store the member's time zone when it is one Overlap knows; the form carries the refusal otherwise."""
    form = TimeZoneForm(data)
    if form.is_valid():
        user = membership.user
        user.time_zone = form.cleaned_data["time_zone"]
        user.save(update_fields=["time_zone"])
    return form


def rules_form(*, membership: Membership, data: QueryDict | None) -> RulesForm:
    """The organization's rules as a form; with `data` (admins only) they are saved when valid."""
    rules = booking_rules_of(organization=membership.organization)
    if data is None:
        return RulesForm(instance=rules)
    if not membership.is_admin:
        raise PermissionDenied("Only the organization's admins can change the booking rules.")
    form = RulesForm(data, instance=rules)
    if form.is_valid() and form.has_changed():
        with transaction.atomic():
            form.save()
            _record_rules(membership, form)
    return form


def _record_rules(membership: Membership, form: RulesForm) -> None:
    """Each changed rule, old → new, into the audit trail."""
    changes = [
        f"{form.fields[name].label}: {_shown(form.initial.get(name))} → {_shown(form.cleaned_data[name])}"
        for name in form.changed_data
    ]
    audit.record(
        organization=membership.organization,
        area=audit.Area.RULES,
        action="rules_changed",
        actor=membership.user,
        target="Booking rules",
        detail="; ".join(changes),
    )


def _shown(value: object) -> str:
    return ", ".join(sorted(str(v) for v in value)) if isinstance(value, list | tuple) else str(value)


def room_preference_save(*, membership: Membership, room: calendars.Room) -> None:
    """Remember the room list and building of the room the member booked: their usual building from now on."""
    RoomPreference.objects.update_or_create(
        membership=membership, defaults={"room_list": room.room_list, "building": room.building}
    )
