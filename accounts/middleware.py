"""Each signed-in person reads Overlap in the language they chose (their browser's, until they choose)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


def supported(code: str) -> str | None:
    """The code of settings.LANGUAGES that `code` names (a stored choice, a form's value), or None."""
    try:
        return translation.get_supported_language_variant(code) if code else None
    except LookupError:
        return None


class PersonsLanguage:
    """After LocaleMiddleware (the browser's Accept-Language) and the authentication: a person's stored language
    wins, so that a page reads the same from every browser they use and as their emails do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = supported(getattr(user, "language", "")) if user is not None and user.is_authenticated else None
        if chosen and chosen != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)  # LocaleMiddleware names the language in Content-Language and Vary
