"""System checks: what would otherwise surface as a 500 on every page."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.files.storage import storages


@register(Tags.staticfiles, deploy=True)  # deploy only: collectstatic itself must still run
def static_manifest(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With hashed static files (production), the manifest that collectstatic writes must be there."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    if storage.manifest_storage.exists(storage.manifest_name):
        return []
    where = storage.manifest_storage.path(storage.manifest_name)
    return [
        Error(
            f"The static files manifest {where} is missing, so every page would fail with a server error.",
            hint="Run `python manage.py collectstatic --noinput` before starting the web server.",
            id="overlap.E001",
        )
    ]


def refuse_to_start_without_static() -> None:
    """For the WSGI/ASGI entry points: stop at start-up, with the check's message, rather than serve 500s."""
    from django.core.exceptions import ImproperlyConfigured

    problems = static_manifest()
    if problems:
        raise ImproperlyConfigured(f"{problems[0].msg} {problems[0].hint}")
