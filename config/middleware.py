"""Edge checks that run before any view reads a parameter."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

# NUL and the other C0 controls, and DEL. Tab, CR and LF pass: a textarea's line breaks travel in form bodies and,
# for the booking page's search (a GET form with an agenda), in query strings too.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSAL = (
    "This request was refused: a parameter contains a control character (such as NUL), which no address, "
    "name or message may contain. Check the link or the form you used."
)


class RefuseControlCharacters:
    """400 for any query-string or form parameter, name or value, carrying a control character.

    PostgreSQL cannot store NUL in text, so one such byte in a callback's parameter used to reach an insert
    and fail there with a 500; nothing past this point ever sees one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries(request.GET.lists(), _CONTROL) or (_is_form(request) and _carries(request.POST.lists(), _CONTROL)):
            return HttpResponseBadRequest(REFUSAL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _is_form(request: HttpRequest) -> bool:
    return request.method == "POST" and (request.content_type or "") in _FORM_TYPES


def _carries(items: Iterable[tuple[str, list[str]]], pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(key) or any(pattern.search(value) for value in values) for key, values in items)
