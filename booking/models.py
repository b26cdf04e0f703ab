"""Booking's tables. The rules live in `booking.rules`; they are re-exported here for Django."""

from __future__ import annotations

from booking.rules import BookingRules

__all__ = ["BookingRules"]
