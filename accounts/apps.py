from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import User
        from accounts.signals import record_verified_address

        post_save.connect(record_verified_address, sender=User, dispatch_uid="accounts_verified_address")
