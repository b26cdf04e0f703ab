"""Settings from the environment, failing loudly on a bad value.

Every reader names the variable in its error, and every secret may come from a file
named by the same variable with a ``_FILE`` suffix (Docker and Kubernetes secrets).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names {file_name!r}, which cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value, or the default; a missing variable without a default stops start-up."""
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_optional(name: str) -> str | None:
    value = _raw(name)
    return value or None


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...] = ("https", "http")) -> str:
    value = env_str(name, default).rstrip("/")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in schemes or not rest:
        raise ImproperlyConfigured(f"{name} must be a URL starting with {' or '.join(schemes)}://, not {value!r}.")
    return value


_RATE = re.compile(r"^[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]$")


def env_rate(name: str, default: str) -> str:
    """A rate limit such as `20/h` or `5/5m` (a count per seconds, minutes, hours or days), as both
    django-ratelimit and django-allauth read it."""
    value = env_str(name, default).strip()
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name} must be a count per period such as 20/h or 5/5m, not {value!r}.")
    return value


def env_fernet_keys(name: str) -> list[str]:
    """Fernet keys, comma-separated, newest first; a malformed one stops start-up (its value is never echoed)."""
    from cryptography.fernet import Fernet

    keys = env_list(name)
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must hold Fernet keys (32 url-safe base64-encoded bytes each); key {position} is not one. "
                "Make one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from None
    return keys


def env_database_url(name: str, *, engines: tuple[str, ...]) -> str:
    """A database URL whose scheme is one of `engines` (e.g. PostgreSQL only, in production)."""
    value = env_str(name)
    scheme = value.partition("://")[0].lower()
    if scheme not in engines:
        raise ImproperlyConfigured(f"{name} must be a PostgreSQL URL ({' or '.join(engines)}://...), not {scheme}://.")
    return value
