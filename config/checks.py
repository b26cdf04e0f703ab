"""System checks: what would otherwise surface as a 500 on every page, or as mail that reaches nobody."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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


# Backends that keep mail on the machine: an invitation or a password reset sent through them reaches nobody.
_NOWHERE = {
    "django.core.mail.backends.console.EmailBackend": "prints mail to the log",
    "django.core.mail.backends.locmem.EmailBackend": "keeps mail in memory",
    "django.core.mail.backends.filebased.EmailBackend": "writes mail to files on the server",
    "django.core.mail.backends.dummy.EmailBackend": "throws mail away",
}
_SMTP = "django.core.mail.backends.smtp.EmailBackend"


@register("mail", deploy=True)
def mail_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A deployment sends its mail somewhere real: not to the log or memory, and by SMTP only to a named host."""
    backend, host = settings.EMAIL_BACKEND, settings.EMAIL_HOST
    problem = ""
    if backend in _NOWHERE:
        problem = f"EMAIL_BACKEND is {backend}, which {_NOWHERE[backend]}"
    elif backend == _SMTP and not host:
        problem = "Mail is sent by SMTP, but EMAIL_HOST names no mail server"
    elif settings.DEFAULT_FROM_EMAIL.rstrip(">").endswith("@localhost"):
        problem = f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}, an address no mail server accepts mail from"
    if not problem:
        return []
    return [
        Error(
            f"{problem}: invitations and password resets would reach nobody.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to your mail relay and "
            "DEFAULT_FROM_EMAIL to an address it sends for; leave EMAIL_BACKEND unset (SMTP). See the README's "
            "Production.",
            id="overlap.E002",
        )
    ]


def refuse_to_start_without_static() -> None:
    """For the WSGI/ASGI entry points: stop at start-up, with the check's message, rather than serve 500s."""
    from django.core.exceptions import ImproperlyConfigured

    problems = static_manifest()
    if problems:
        raise ImproperlyConfigured(f"{problems[0].msg} {problems[0].hint}")
