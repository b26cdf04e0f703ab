"""Pages a person's browser sees: sign-in, consent, admin consent (filled in below)."""

from __future__ import annotations

import html
from collections.abc import Callable

from werkzeug.wrappers import Response


def error_page(status: int, code: str, message: str) -> Response:
    body = (
        "<!doctype html><title>Sign in</title><h1>Sorry, but we're having trouble signing you in.</h1>"
        f"<p>{html.escape(code)}: {html.escape(message)}</p>"
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


HANDLERS: dict[str, Callable[..., Response]] = {}
