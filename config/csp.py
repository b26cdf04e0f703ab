"""The Content-Security-Policy header (django-csp), with Microsoft's sign-in allowed as a form's destination."""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicy(CSPMiddleware):
    """CONTENT_SECURITY_POLICY, plus the origin of MICROSOFT_LOGIN_BROWSER_URL in `form-action`: "Sign in with
    Microsoft" and "Grant admin consent" are forms whose answer redirects there, and browsers apply form-action
    to those redirects too. Read per request, so that the emulator's address (demo, tests) is the one allowed."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            login = urlsplit(settings.MICROSOFT_LOGIN_BROWSER_URL)
            parts.update = {**(parts.update or {}), "form-action": [f"{login.scheme}://{login.netloc}"]}
        return parts
