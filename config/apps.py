"""The project's own checks, registered like an app's."""

from __future__ import annotations

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    label = "overlap_config"
    verbose_name = "Overlap configuration"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the checks)
