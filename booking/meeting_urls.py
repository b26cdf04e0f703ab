"""Booking's URLs for the meeting itself; included at the site root by config/urls.py."""

from __future__ import annotations

from django.urls import path

from booking import meeting_views as views

_ORG = "orgs/<uuid:code>"
_MEETING = f"{_ORG}/meetings/<uuid:booking>"

urlpatterns = [
    path(f"{_ORG}/book/create", views.booking_create_view, name="booking_create"),
    path(f"{_ORG}/meetings/", views.meetings_view, name="meetings"),
    path(f"{_MEETING}/", views.meeting_detail_view, name="meeting_detail"),
    path(f"{_MEETING}/retry", views.meeting_retry_view, name="meeting_retry"),
    path(f"{_MEETING}/new-times", views.meeting_new_times_view, name="meeting_new_times"),
    path(f"{_MEETING}/reschedule", views.meeting_reschedule_view, name="meeting_reschedule"),
    path(f"{_MEETING}/cancel", views.meeting_cancel_view, name="meeting_cancel"),
    path(f"{_MEETING}/occurrence/cancel", views.meeting_occurrence_cancel_view, name="meeting_occurrence_cancel"),
    path(f"{_MEETING}/occurrence/move", views.meeting_occurrence_move_view, name="meeting_occurrence_move"),
    path(f"{_MEETING}/series/move", views.meeting_series_move_view, name="meeting_series_move"),
    path(f"{_MEETING}/another-room", views.meeting_reroom_view, name="meeting_reroom"),
]
