"""Booking's tables, defined by domain in their own modules and registered here for Django."""

from __future__ import annotations

from booking.meetings import Booking, BookingEvent, Participant
from booking.rules import BookingRules

__all__ = ["Booking", "BookingEvent", "BookingRules", "Participant"]
