from __future__ import annotations

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks with Celery in every process, so that services can send them by name.
        from booking import audit_trail, tasks  # noqa: F401

        audit_trail.register()
