from __future__ import annotations

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import User
        from accounts.signals import record_verified_address, remember_language

        post_save.connect(record_verified_address, sender=User, dispatch_uid="accounts_verified_address")
        user_logged_in.connect(remember_language, dispatch_uid="accounts_remember_language")
