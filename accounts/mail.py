"""Mail that carries what people typed (a display name, an organization's name).

Such text goes into a mail as quoted data only: its own line, in quotation marks, cut to a length, and with
anything a mail program would turn into a link (a URL, a host name, an address) defanged, e.g.
`evil.example` -> `evil[.]example`. The only links in the mail are Overlap's own, so nobody can use
Overlap to send a link of theirs from Overlap's address.
"""

from __future__ import annotations

import re

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User

NAME_LENGTH = 60

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(?=\S)", re.IGNORECASE)  # http://, mailto:, javascript:
_DOT = re.compile(r"(?<=\w)[.\u3002\uff0e\uff61](?=\w)")  # also the full-width dots some mail programs link
_AT = re.compile(r"@")


def quoted(value: str, *, limit: int = NAME_LENGTH) -> str:
    """A name as data: one line, at most `limit` characters (an ellipsis says it was cut), no link in it."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _SCHEME.sub(lambda m: f"{m.group(1)}[:]", text)
    text = _DOT.sub("[.]", text)
    return f"“{_AT.sub('[at]', text)}”"


def mail_language(*, email: str, fallback: str) -> str:
    """The language a mail to this address is written in: that of the person who has it, when Overlap knows them
    and their language, else `fallback` (the language of whoever caused the mail)."""
    known = User.objects.filter(email__iexact=email.strip()).exclude(language="").values_list("language", flat=True)
    return next(iter(known), "") or fallback


def invitation_send(*, to: str, inviter: str, organization: str, link: str, days: int, language: str) -> None:
    """The invitation, in `language`: who invited them to which organization (quoted, linkless) and the link to
    accept."""
    context = {"inviter": quoted(inviter), "organization": quoted(organization), "link": link, "days": days}
    with translation.override(language):
        mail = EmailMultiAlternatives(
            subject=_("Your invitation to %(organization)s on Overlap") % {"organization": quoted(organization)},
            body=render_to_string("accounts/email/invitation.txt", context),
            to=[to],
        )
        mail.attach_alternative(render_to_string("accounts/email/invitation.html", context), "text/html")
    mail.send()
