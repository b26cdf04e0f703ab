"""The page for a crash: 500, unless what failed is Overlap's database (restarting, failing over, out of
connections), which is no bug and passes by itself: then 503, saying so, with Retry-After.

Rendered without a request context (as Django's own 500 page is), so that the page itself needs no database.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

DATABASE_AWAY = (OperationalError, InterfaceError)  # the connection, not the query: a restart, a failover
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500 (config/urls.py): it runs while the exception is being handled."""
    if isinstance(sys.exception(), DATABASE_AWAY):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)
