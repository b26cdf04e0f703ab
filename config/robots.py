"""`/robots.txt`: a private application asks crawlers to keep out of every page.

It is also the plainest Django view there is (no database, cache or session), which the load bench uses as its
baseline for what the framework and gunicorn cost per request.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

ROBOTS = "User-agent: *\nDisallow: /\n"


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")
