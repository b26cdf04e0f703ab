"""Every page carries the security headers and a Content-Security-Policy that allows no inline script, and no
template holds inline code or styles the policy would block (the browser tests check the pages themselves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import Org, signed_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_pages_carry_the_security_headers_and_a_strict_policy(who: str, org: Org, settings: object) -> None:
    client = signed_in(org.admin) if who == "owner" else Client()
    for path in ("/", f"/orgs/{org.code}/book/", "/start", "/no-such-page"):
        response = client.get(path, follow=True)

        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["form-action"] == "'self' https://login.invalid"  # and Microsoft's sign-in (tests: .invalid)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site(org: Org, db: None) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"login": org.admin.email, "password": "correct horse battery staple"})

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style\b|javascript:", re.IGNORECASE)


def test_no_template_holds_inline_script_handlers_or_styles() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
