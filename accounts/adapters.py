"""django-allauth's account adapter: password sign-in only, no open sign-up, and Entra ID's people left alone.

Password accounts exist for people an admin invited (accounts.views.accept_invitation) and for the demo's
seeded people. Everyone else comes through Microsoft (integrations.signin), identified by tenant and
object id, never by an email address; Entra ID governs them, so allauth's password and address pages
refuse them (`ENTRA_GOVERNS`). A password account changes its address only by verifying the new one.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from accounts.limits import period_in_words
from accounts.mail import mail_language
from accounts.models import User

# English, marked for the catalogues; each use says it in the reader's language (`gettext(ENTRA_GOVERNS)`).
ENTRA_GOVERNS = gettext_noop(
    "Entra ID governs this account: your organization's Microsoft 365 admins manage its sign-in and its "
    "address, so Overlap sets no password and changes no address for it. Sign in with Microsoft."
)
ADDRESS_HELD = gettext_noop("This address belongs to another account in Overlap. Nothing was changed.")
# allauth's messages for refusals on the address page, which for a Microsoft person have one true reason.
_REFUSALS = {
    "account/messages/cannot_delete_primary_email.txt",
    "account/messages/unverified_primary_email.txt",
}


def is_microsoft(user: object) -> bool:
    return isinstance(user, User) and user.is_microsoft


def address_held_by_another(*, email: str, user: User) -> bool:
    """Whether anyone but `user` has this address, as their own or as one they added."""
    others = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
    return others or EmailAddress.objects.filter(email__iexact=email).exclude(user_id=user.pk).exists()


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    @property
    def error_messages(self) -> dict[str, str]:
        """allauth's messages, the one for too many wrong passwords saying when to try again."""
        wait = period_in_words(settings.RATE_LIMIT_SIGN_IN_FAILURES)
        message = gettext("Too many wrong passwords for this account. Try again in %(wait)s at most.") % {"wait": wait}
        return {**DefaultAccountAdapter.error_messages, "too_many_login_attempts": message}

    def clean_password(self, password: str, user: AbstractBaseUser | None = None) -> str:
        """Every allauth form that sets a password (set, change, reset by link) asks here first."""
        if is_microsoft(user):
            raise ValidationError(gettext(ENTRA_GOVERNS))
        cleaned: str = super().clean_password(password, user=user)
        return cleaned

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        if is_microsoft(user):  # no allauth path may get here for them; refuse rather than trust the forms
            raise PermissionDenied(gettext(ENTRA_GOVERNS))
        super().set_password(user, password)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every mail allauth sends, in the language of the person it goes to when Overlap knows it."""
        with translation.override(mail_language(email=email, fallback=translation.get_language() or "en")):
            super().send_mail(template_prefix, email, context)

    def send_password_reset_mail(self, user: AbstractBaseUser, email: str, context: dict[str, Any]) -> None:
        """A Microsoft person gets no reset link (no password of theirs may be set), only the way to sign in."""
        if is_microsoft(user):
            self.send_mail("account/email/entra_governs", email, context)
            return
        super().send_password_reset_mail(user, email, context)

    def can_delete_email(self, email_address: EmailAddress) -> bool:
        if is_microsoft(email_address.user):
            return False
        allowed: bool = super().can_delete_email(email_address)
        return allowed

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """A verified address becomes the login (ACCOUNT_CHANGE_EMAIL): never one another account has since taken."""
        user = email_address.user
        if is_microsoft(user) or address_held_by_another(email=email_address.email, user=user):
            messages.error(request, gettext(ENTRA_GOVERNS if is_microsoft(user) else ADDRESS_HELD))
            return False
        return bool(super().confirm_email(request, email_address))

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        if message_template in _REFUSALS and is_microsoft(getattr(request, "user", None)):
            messages.error(request, gettext(ENTRA_GOVERNS))
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)
