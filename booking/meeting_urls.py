"""Booking's URLs for the meeting itself; included at the site root by config/urls.py."""

from __future__ import annotations

from django.urls import path

from booking import meeting_views as views

_ORG = "orgs/<uuid:code>"
_MEETING = f"{_ORG}/meetings/<uuid:booking>"

urlpatterns = [
    path(f"{_ORG}/book/create", views.booking_create, name="booking_create"),
    path(f"{_ORG}/meetings/", views.meetings, name="meetings"),
    path(f"{_MEETING}/", views.meeting_detail, name="meeting_detail"),
    path(f"{_MEETING}/retry", views.meeting_retry, name="meeting_retry"),
    path(f"{_MEETING}/new-times", views.meeting_new_times, name="meeting_new_times"),
    path(f"{_MEETING}/reschedule", views.meeting_reschedule, name="meeting_reschedule"),
    path(f"{_MEETING}/cancel", views.meeting_cancel, name="meeting_cancel"),
]
