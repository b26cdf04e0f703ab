"""The organization's booking rules: what blocks a slot, notice, buffers, the grid, the longest range."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import read_with
from accounts.models import Organization
from booking.engine import DEFAULT_BLOCKING
from localtime import on_grid, outlook_name

# Statuses an admin may choose to block ("unknown" always blocks, whatever they choose).
CHOOSABLE_STATUSES = (
    ("busy", _("Busy")),
    ("oof", _("Out of office")),
    ("tentative", _("Tentative")),
    ("workingElsewhere", _("Working elsewhere")),
)
GRANULARITIES = (5, 10, 15, 30, 60)
SHORTEST, LONGEST = 15, 120  # minutes a meeting may last
LONGEST_WINDOW_DAYS = 56  # eight weeks; getSchedule itself stops at 62 days


def _default_blocking() -> list[str]:
    return sorted(DEFAULT_BLOCKING)


class BookingRules(models.Model):
    """One per organization, created with the defaults the first time anyone reads it."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="booking_rules")
    blocking_statuses = models.JSONField(default=_default_blocking)
    minimum_notice_minutes = models.PositiveIntegerField(default=60)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    granularity_minutes = models.PositiveIntegerField(default=15, choices=[(g, f"{g} minutes") for g in GRANULARITIES])
    default_duration_minutes = models.PositiveIntegerField(default=30)
    longest_window_days = models.PositiveIntegerField(default=LONGEST_WINDOW_DAYS)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Booking rules of {self.organization}"

    @property
    def blocking(self) -> frozenset[str]:
        return frozenset(self.blocking_statuses)

    @property
    def minimum_notice(self) -> timedelta:
        return timedelta(minutes=self.minimum_notice_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    @property
    def granularity(self) -> timedelta:
        return timedelta(minutes=self.granularity_minutes)

    def on_grid(self, start: datetime, zone: tzinfo) -> bool:
        """Whether a meeting may start then: the search, the booking form, reschedule and the final check all
        ask this, with the organizer's page zone, so a time one proposes the others accept."""
        return on_grid(start, self.granularity, zone)

    def grid_words(self, zone: tzinfo) -> str:
        step = self.granularity_minutes
        return f"A meeting starts on a {step}-minute mark of the organizer's clock ({outlook_name(zone)})."

    @property
    def durations(self) -> list[int]:
        """The meeting lengths a member may pick: 15 to 120 minutes on the grid."""
        return [m for m in range(SHORTEST, LONGEST + 1) if m % self.granularity_minutes == 0]

    @property
    def durations_words(self) -> str:
        """The lengths a member may pick, in words that name only lengths on the grid."""
        return durations_words(self.granularity_minutes)

    @property
    def blocking_labels(self) -> list[str]:
        return [str(label) for value, label in CHOOSABLE_STATUSES if value in self.blocking_statuses]


def booking_rules_of(*, organization: Organization) -> BookingRules:
    """The organization's rules, created with the defaults on first read; no query when they were read with the
    organization (`membership_for(..., also=("organization__booking_rules",))`)."""
    read, rules = read_with(organization, "booking_rules")
    if read and rules is not None:
        return rules  # type: ignore[no-any-return]
    rules, _ = BookingRules.objects.get_or_create(organization=organization)
    return rules


def durations_words(step: int) -> str:
    """ "30 to 120 minutes, in steps of 30": the shortest and longest lengths on a grid of `step` minutes."""
    lengths = [m for m in range(SHORTEST, LONGEST + 1) if m % step == 0]
    return f"{lengths[0]} to {lengths[-1]} minutes, in steps of {step}" if lengths else f"a multiple of {step} minutes"
