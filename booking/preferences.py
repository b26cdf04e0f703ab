"""Writes behind the booking page's settings: a member's time zone, and the organization's booking rules."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from accounts.models import Membership
from booking.forms import RulesForm, TimeZoneForm
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
    if form.is_valid():
        form.save()
    return form
