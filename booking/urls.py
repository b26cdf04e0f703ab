"""The booking pages, under /orgs/<code>/book/ (included by config/urls.py)."""

from __future__ import annotations

from django.urls import path

from booking import views

urlpatterns = [
    path("", views.booking_page_view, name="booking_page"),
    path("people", views.booking_people_view, name="booking_people"),
    path("confirm", views.booking_confirm_page_view, name="booking_confirm_page"),
    path("time-zone", views.booking_time_zone_view, name="booking_time_zone"),
    path("rules", views.booking_rules_view, name="booking_rules"),
]
