"""Production: every secret from the environment, HTTPS only, PostgreSQL and Redis expected."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_database_url, env_int, env_list, env_str
from config.logs import logging_config
from config.settings.base import *  # noqa: F403
from config.settings.base import (
    MICROSOFT_CLIENT_ID,
    MICROSOFT_CLIENT_SECRET,
    REDIS_URL,
    SENTRY_DSN,
    TOKEN_ENCRYPTION_KEYS,
)

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of at least 50 characters.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS to the host names Overlap is served under.")
if not TOKEN_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("Set TOKEN_ENCRYPTION_KEY (a Fernet key) so that tokens are encrypted at rest.")
# PostgreSQL: SQLite loses writes under concurrent workers. Redis: without it Celery would run every task
# inside the web request, silently.
env_database_url("DATABASE_URL", engines=("postgres", "postgresql", "pgsql", "postgis"))
if not REDIS_URL:
    raise ImproperlyConfigured("Set REDIS_URL (redis://...): production runs tasks on a Celery worker through Redis.")
for _name, _value in (
    ("MICROSOFT_CLIENT_ID", MICROSOFT_CLIENT_ID),
    ("MICROSOFT_CLIENT_SECRET", MICROSOFT_CLIENT_SECRET),
):
    if not _value:
        raise ImproperlyConfigured(
            f"Set {_name}: the app registration's credentials (see the README's App registration)."
        )

# Mail goes out by SMTP (EMAIL_HOST and the rest, config/settings/base.py); `check --deploy` refuses a backend
# that would keep invitations and password resets on this machine (config/checks.py).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# Production sits behind the TLS proxy (README, Production): without this every sign-in would count as the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 1, minimum=0)

# Connections kept between requests (checked before reuse), not one new connection per request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Static files: collected at start (the Procfile's web line) and served by whitenoise from STATIC_ROOT;
# hashed names are cached for good, the rest for a minute.

# Structured logs: one JSON object per line on stderr, each with the request id (config/logs.py).
# Without Sentry (SENTRY_DSN), errors are mailed to DJANGO_ADMINS (config/errors.py).
LOGGING = logging_config(level=env_str("LOG_LEVEL", "INFO"), json_lines=True, mail_admins=not SENTRY_DSN)

# Celery workers log through LOGGING above, not a handler of their own; a task is acknowledged only once it
# has run (a worker killed mid-task leaves it to another), and a worker takes one task at a time beyond those
# it runs, so a long task never holds others back. On SIGTERM a worker finishes what it runs (warm shutdown).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A confirmation that loses the broker half-way finishes its work rather than stopping between Microsoft's create
# and the database's CONFIRMED; its unacknowledged message comes back and the rerun changes nothing.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = False
