"""A new password account's address counts as verified: an admin's invitation reached it (or an operator set
it). allauth then lets the person change it only to an address they verify too (ACCOUNT_CHANGE_EMAIL)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.http import HttpRequest

from accounts.models import User


def record_verified_address(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created and not instance.is_microsoft and instance.email:
        EmailAddress.objects.get_or_create(
            user=instance, email=instance.email.lower(), defaults={"verified": True, "primary": True}
        )


def remember_language(sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """At a person's first sign-in, the language their browser asked for (LocaleMiddleware's choice) becomes theirs:
    their mail then reads in it too. A sign-in without a request through the middleware (a test's) sets nothing."""
    code = getattr(request, "LANGUAGE_CODE", None)
    if not user.language and code:
        User.objects.filter(pk=user.pk, language="").update(language=code)
        user.language = code
