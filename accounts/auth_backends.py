"""allauth's password backend, for password accounts only: Entra ID governs a Microsoft person's sign-in, so a
password they set before Overlap refused it (or one planted in the database) never lets them in. Django's
ModelBackend needs no such guard: `UserManager.get_by_natural_key` finds password accounts only."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts.models import User


class PasswordAccountsBackend(AuthenticationBackend):
    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        return None if isinstance(user, User) and user.is_microsoft else user
