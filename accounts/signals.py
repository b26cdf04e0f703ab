"""A new password account's address counts as verified: an admin's invitation reached it (or an operator set
it). allauth then lets the person change it only to an address they verify too (ACCOUNT_CHANGE_EMAIL)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress

from accounts.models import User


def record_verified_address(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created and not instance.is_microsoft and instance.email:
        EmailAddress.objects.get_or_create(
            user=instance, email=instance.email.lower(), defaults={"verified": True, "primary": True}
        )
