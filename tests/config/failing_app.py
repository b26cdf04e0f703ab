"""A page that fails as a real bug would, carrying what must never leave for an error tracker (the values live in
`carried`, so that only the running page holds them, not the source lines an error tracker shows)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tests.config import carried


def boom(request: HttpRequest) -> HttpResponse:
    refresh_token = carried.REFRESH  # a local variable, as Sentry records them with the frame
    attendee = {"email": carried.ADDRESS, "name": carried.NAME}
    raise RuntimeError(f"Graph refused Bearer {carried.JWT} for {attendee['email']} ({len(refresh_token)})")


urlpatterns = [path("boom", boom), path("", include("config.urls"))]  # the 500 page links home
