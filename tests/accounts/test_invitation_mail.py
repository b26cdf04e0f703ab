"""The invitation mail carries the inviter's and the organization's names as quoted data, cut to a length and with
no link in them: the only link in the mail is Overlap's own invitation link."""

from __future__ import annotations

import re

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from tests.conftest import Org

HOSTS = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)  # evil.example, www.evil.example
SCHEMES = re.compile(r"\b[a-z][a-z0-9+.-]*:(?=\S)[^\s\"'<>]*", re.IGNORECASE)  # http://…, mailto:…, javascript:…


def _invitation(org: Org, admin_client: Client) -> tuple[str, str]:
    response = admin_client.post(
        reverse("invitations", kwargs={"code": org.code}), {"email": "new.person@contoso.example", "role": "member"}
    )
    assert response.status_code == 302
    sent = mail.outbox[-1]
    assert isinstance(sent, EmailMultiAlternatives)
    ((html, kind),) = sent.alternatives
    assert kind == "text/html"
    return f"{sent.subject}\n{sent.body}", str(html)


def _foreign_links(text: str) -> list[str]:
    """Everything a mail program could turn into a link, except Overlap's own invitation link."""
    own = "http://testserver/invitations/"
    return HOSTS.findall(text) + [found for found in SCHEMES.findall(text) if not found.startswith(own)]


def test_a_phishing_display_name_reaches_the_mail_only_as_linkless_quoted_text(org: Org, admin_client: Client) -> None:
    org.admin.name = "Reset your password at http://evil.example/reset now"
    org.admin.save()
    org.organization.name = "IT desk: sign in at www.evil.example or mail help@evil.example"
    org.organization.save()

    text, html = _invitation(org, admin_client)

    assert _foreign_links(text) == [] and _foreign_links(html) == []
    assert "evil.example" not in text + html
    assert "“Reset your password at http[:]//evil[.]example/reset now”" in text
    assert re.findall(r'href="([^"]+)"', html) == [re.search(r"http://testserver/invitations/\S+", text).group(0)]  # type: ignore[union-attr]


def test_a_very_long_name_is_cut_and_markup_in_it_is_only_text(org: Org, admin_client: Client) -> None:
    org.admin.name = '<a href="https://evil.example">Click</a> ' + "x" * 150  # within the field's 200
    org.admin.save()

    text, html = _invitation(org, admin_client)

    quoted = re.search(r"Invited by: (“.*”)", text)
    assert quoted and quoted.group(1).endswith("x…”") and "x" * 60 not in text + html  # cut at 60 characters
    assert '<a href="https' not in html and "&lt;a href=" in html
    assert _foreign_links(text) == [] and _foreign_links(html) == []
