"""The booking pages, under /orgs/<code>/book/ (included by config/urls.py)."""

from __future__ import annotations

from django.urls import path

from booking import views

urlpatterns = [
    path("", views.booking_page, name="booking_page"),
    path("people", views.booking_people, name="booking_people"),
    path("confirm", views.confirm_page, name="booking_confirm"),
    path("time-zone", views.booking_time_zone, name="booking_time_zone"),
    path("rules", views.booking_rules, name="booking_rules"),
]
