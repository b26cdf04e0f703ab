"""Settings shared by every environment. All configuration comes from environment variables."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config import errors
from config.env import env_bool, env_fernet_keys, env_int, env_list, env_optional, env_rate, env_str, env_url
from localtime import use_shipped_zone_data

# Lets the admin classes name their model (admin.ModelAdmin[Connection]) for mypy --strict.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "django_htmx",
    "csp",
    "accounts",
    "integrations",
    "booking",
    "config",
]

MIDDLEWARE = [
    # First: every later middleware's and view's log lines, and the tasks they enqueue, carry the request id.
    "config.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicy",
    # Before anything reads a parameter: NUL and other control characters never reach a view or the database.
    "config.middleware.RefuseControlCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language) for a visitor; `accounts.middleware.PersonsLanguage` below puts a
    # signed-in person's own choice over it. The URLs carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PersonsLanguage",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# What a browser may load and do on Overlap's pages: only Overlap's own scripts and styles (no inline script,
# handler or style attribute: templates keep them in static/), no framing, forms only to Overlap and to
# Microsoft's sign-in (config/csp.py adds its origin). tests/browser_fixtures.py fails any page that breaks it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.memberships",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Overlap understands: {exc}") from exc
    if str(config.get("ENGINE", "")).endswith("sqlite3"):
        # Several threads (dev server, eager tasks) write to the file; wait rather than fail on a lock.
        # IMMEDIATE takes the write lock when a transaction begins, so writes are serialised: the
        # double-booking trigger then sees every committed booking (booking/migrations/0002).
        options = config.get("OPTIONS") or {}
        defaults = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
        config["OPTIONS"] = {**defaults, **options} if isinstance(options, dict) else options
    elif "postgresql" in str(config.get("ENGINE", "")):
        # Django's backend, its health check made without a round trip when the connection is fine.
        config["ENGINE"] = "config.postgresql"
        # PostgreSQL's default random_page_cost (4) assumes spinning disks: it keeps the planner off the people
        # search's trigram index for common fragments (a whole-directory scan, 3-5x slower among 100,000). On
        # SSD storage 1.1 is right; each connection asks for it. Empty leaves the server's own setting (a pooler
        # that refuses startup options, or a database tuned with ALTER DATABASE).
        cost = env_str("DATABASE_RANDOM_PAGE_COST", "1.1")
        options = config.get("OPTIONS") or {}
        if isinstance(options, dict):
            options = config["OPTIONS"] = {"server_side_binding": True, **options}
        if cost and isinstance(options, dict) and "options" not in options:
            try:
                config["OPTIONS"] = {**options, "options": f"-c random_page_cost={float(cost)}"}
            except ValueError as exc:
                raise ImproperlyConfigured(f"DATABASE_RANDOM_PAGE_COST must be a number, not {cost!r}") from exc
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.auth_backends.PasswordAccountsBackend",  # allauth's, refusing Microsoft people's passwords
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The address is the login of password accounts only (unique among them, see accounts.User); a Microsoft person
# may share it and never signs in with a password, and the UserManager's natural key looks at password accounts.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email is the login; no username anywhere.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"  # no open sign-up: people are invited, or come by Microsoft
# A password account's new address replaces the old one only once verified; Microsoft people change none.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_FORMS = {"add_email": "accounts.forms.AddEmailForm"}
# Microsoft sign-in is Overlap's own OpenID Connect flow (integrations.signin): allauth's Microsoft provider
# identifies a person by Graph's /me `id` alone, with no tenant and no verified ID token, so it is not installed.

# English for a browser that asks for none of these (and for the tests' clients). The catalogues are in locale/;
# Arabic's is partial (what it lacks reads in English), shipped so that the right-to-left layout is used and seen.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ja", "日本語"),
    ("pt-br", "Português (Brasil)"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Every zone of this process comes from the shipped tzdata package: a host with old zone rules can't move a meeting.
use_shipped_zone_data()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Mail (invitations, password resets): printed to the console on a developer's machine; production sends it by
# SMTP, and `check --deploy` refuses a backend that keeps it on the machine (config/checks.py).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Overlap <overlap@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)  # STARTTLS on the submission port
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start (port 465); not with EMAIL_USE_TLS
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)  # seconds; a stuck relay must not hold a web worker

# Redis is optional: without it, tasks run in-process and the cache is local memory.
REDIS_URL = env_optional("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}.")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "overlap"}}
# What one process tells the others (the beat's heartbeat, Microsoft 365 not answering): Redis when there is one;
# without it (the demo) beat and the web are separate processes, so a file cache they both read.
CACHES["shared"] = (
    CACHES["default"]
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(BASE_DIR / ".run" / "shared-cache"),
    }
)

# Sessions live in the database alone, not read from Redis first (`cached_db`, one query fewer a page): Django's
# cached_db raises when Redis does not answer, so every signed-in page would fail with it, and a sign-out made while
# Redis was away would leave a live copy there for when it comes back. Django's `db` backend, its statement made
# once per process (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

# Limits on what one person may do in a while, each a count per period (`20/h`, `5/5m`). They are counted in the
# cache above (Redis in production, so every worker and machine shares one count); past one, a page says when to
# try again (templates/429.html). Overlap's own (accounts/limits.py) count the signed-in member.
RATE_LIMIT_BOOKINGS = env_rate("RATE_LIMIT_BOOKINGS", "20/h")  # bookings, retries, reschedules by a member
RATE_LIMIT_SEARCHES = env_rate("RATE_LIMIT_SEARCHES", "60/m")  # searches for times (page loads, new times)
RATE_LIMIT_PEOPLE_SEARCHES = env_rate("RATE_LIMIT_PEOPLE_SEARCHES", "120/m")  # colleague look-ups while typing
RATE_LIMIT_INVITATIONS = env_rate("RATE_LIMIT_INVITATIONS", "20/h")  # invitations one admin sends
RATE_LIMIT_INVITATIONS_PER_ADDRESS = env_rate("RATE_LIMIT_INVITATIONS_PER_ADDRESS", "3/d")  # from any organization
# Password sign-in (django-allauth's limits, by client address and by the address typed): attempts from one client,
# wrong passwords from one client, wrong passwords for one account.
RATE_LIMIT_SIGN_IN = env_rate("RATE_LIMIT_SIGN_IN", "30/m")
RATE_LIMIT_SIGN_IN_FAILURES_PER_CLIENT = env_rate("RATE_LIMIT_SIGN_IN_FAILURES_PER_CLIENT", "10/m")
RATE_LIMIT_SIGN_IN_FAILURES = env_rate("RATE_LIMIT_SIGN_IN_FAILURES", "5/5m")
# The address page (a password account's) mails whatever address is typed: changes per person, mails per address,
# so that nobody relays mail through Overlap.
RATE_LIMIT_ADDRESS_CHANGES = env_rate("RATE_LIMIT_ADDRESS_CHANGES", "5/h")
RATE_LIMIT_VERIFICATION_MAILS = env_rate("RATE_LIMIT_VERIFICATION_MAILS", "1/5m")
ACCOUNT_RATE_LIMITS = {
    "login": f"{RATE_LIMIT_SIGN_IN}/ip",
    "login_failed": f"{RATE_LIMIT_SIGN_IN_FAILURES_PER_CLIENT}/ip,{RATE_LIMIT_SIGN_IN_FAILURES}/key",
    "manage_email": f"{RATE_LIMIT_ADDRESS_CHANGES}/user",
    "confirm_email": f"{RATE_LIMIT_VERIFICATION_MAILS}/key",
}
# allauth's client address: the proxies in front of the app. 0 takes the peer's address (REMOTE_ADDR, right with no
# proxy); behind one proxy that appends to X-Forwarded-For, 1 takes the address that proxy saw. Production: 1.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0, minimum=0)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A broker that does not answer is given up on within a few seconds: the member's request waits for the enqueue,
# and a booking whose enqueue failed is sent again by the sweep below.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# A task taken by a worker that then dies whole (its machine lost) goes back to the queue this many seconds after
# it was taken, when a worker starts or sweeps. It must stay longer than any countdown the app sets (the read-back
# spreads its chunks over about 54 s; a retry waits at most BOOKING_RETRY_MAX_SECONDS) plus CELERY_TASK_TIME_LIMIT,
# or a task waiting for its time (or still running) is handed out again. A booking a dead worker held does not
# wait for it: the sweep sends it again after BOOKING_SWEEP_AFTER_SECONDS.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 900, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Two beats never send one job twice: each run is claimed in the cache (config/celery_app.py).
CELERY_BEAT_SCHEDULER = "config.celery_app:OneBeatScheduler"
# Beat wakes at least this often and records a heartbeat each time; /healthz fails once the heartbeat is older than
# BEAT_HEARTBEAT_STALE_SECONDS (beat stopped: no sweep, no read-back, no connection checks).
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
BEAT_HEARTBEAT_STALE_SECONDS = env_int("BEAT_HEARTBEAT_STALE_SECONDS", 180, minimum=60)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}


def periodic(task: str, *, seconds: float) -> dict[str, object]:
    """A beat entry: send `task` (by its registered name) every `seconds`."""
    return {"task": task, "schedule": float(seconds)}


# Domain-wide organizations: keep members in step with Entra ID (new people, disabled accounts).
DIRECTORY_SYNC_MINUTES = env_int("DIRECTORY_SYNC_MINUTES", 60, minimum=1)
CELERY_BEAT_SCHEDULE["integrations-directory-sync"] = periodic(
    "integrations.tasks.sync_all_directories", seconds=60.0 * DIRECTORY_SYNC_MINUTES
)
# Organizations with rooms on (either mode): rooms and room lists from the places API, as often as people.
CELERY_BEAT_SCHEDULE["integrations-rooms-sync"] = periodic(
    "integrations.tasks.sync_all_rooms", seconds=60.0 * DIRECTORY_SYNC_MINUTES
)

# Booking: read back Overlap's own upcoming meetings by id; each round (READ_BACK_ROUND_SECONDS) takes only those
# due: read longer ago than READ_BACK_SOON_SECONDS within a day of their start, READ_BACK_LATER_SECONDS after that.
READ_BACK_ROUND_SECONDS = env_int("READ_BACK_ROUND_SECONDS", 60, minimum=1)
READ_BACK_SOON_SECONDS = env_int("READ_BACK_SOON_SECONDS", 300, minimum=1)
READ_BACK_LATER_SECONDS = env_int("READ_BACK_LATER_SECONDS", 3600, minimum=1)
CELERY_BEAT_SCHEDULE["booking-read-back"] = periodic("booking.tasks.read_back_due", seconds=READ_BACK_ROUND_SECONDS)
# Booking: nothing stays PENDING without a person. Every BOOKING_SWEEP_SECONDS the sweep sends again each booking
# with no try for BOOKING_SWEEP_AFTER_SECONDS (its enqueue was lost with the broker, its worker died); confirming
# is idempotent (transactionId, then a lookup by Overlap's tag), so a resend never makes a second meeting.
BOOKING_SWEEP_SECONDS = env_int("BOOKING_SWEEP_SECONDS", 60, minimum=1)
BOOKING_SWEEP_AFTER_SECONDS = env_int("BOOKING_SWEEP_AFTER_SECONDS", 120, minimum=1)
# A confirmation that met a transient error (database, broker, Microsoft) is tried again after a back-off that
# doubles up to this (Microsoft's Retry-After is followed up to it too).
BOOKING_RETRY_MAX_SECONDS = env_int("BOOKING_RETRY_MAX_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE["booking-sweep"] = periodic("booking.tasks.sweep_pending", seconds=BOOKING_SWEEP_SECONDS)
# Every connection is checked this often (a fresh token and one harmless call), so a revoked consent shows.
CONNECTION_CHECK_MINUTES = env_int("CONNECTION_CHECK_MINUTES", 15, minimum=1)
CELERY_BEAT_SCHEDULE["integrations-connection-check"] = periodic(
    "integrations.tasks.check_all_connections", seconds=60.0 * CONNECTION_CHECK_MINUTES
)

# A tenant proven by an admin's sign-in is only held until consent works: a consent not given within this many
# hours lets it go (so is a declined one, at once), checked every hour and whenever someone else tries the tenant.
CONSENT_PENDING_HOURS = env_int("CONSENT_PENDING_HOURS", 24, minimum=1)
CELERY_BEAT_SCHEDULE["integrations-release-stale-tenants"] = periodic(
    "integrations.tasks.release_stale_tenants", seconds=3600.0
)

# The audit trail (people, booking rules, connection and consent, bookings) keeps entries this many days; a daily
# task deletes older ones (a meeting that has not ended keeps its whole history).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400, minimum=1)
CELERY_BEAT_SCHEDULE["accounts-audit-prune"] = periodic("accounts.tasks.audit_prune", seconds=24 * 3600.0)

# Microsoft identity platform and Graph. The emulator stands in for both in the demo and the tests.
MICROSOFT_CLIENT_ID = env_str("MICROSOFT_CLIENT_ID", "")
MICROSOFT_CLIENT_SECRET = env_str("MICROSOFT_CLIENT_SECRET", "")
MICROSOFT_LOGIN_URL = env_url("MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com", schemes=("https",))
# Where a person's browser is sent to sign in or consent. Only the emulator sets it apart from
# MICROSOFT_LOGIN_URL, so that the demo's pages never meet a certificate warning.
MICROSOFT_LOGIN_BROWSER_URL = env_url("MICROSOFT_LOGIN_BROWSER_URL", MICROSOFT_LOGIN_URL)
MICROSOFT_GRAPH_URL = env_url("MICROSOFT_GRAPH_URL", "https://graph.microsoft.com", schemes=("https",))
MICROSOFT_CA_BUNDLE = env_optional("MICROSOFT_CA_BUNDLE")
if MICROSOFT_CA_BUNDLE and not Path(MICROSOFT_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"MICROSOFT_CA_BUNDLE names {MICROSOFT_CA_BUNDLE!r}, which is not a file.")
# Sign-in reads a tenant's signing keys again after this many hours (and at once for a key id it does not know).
MICROSOFT_SIGNING_KEYS_HOURS = env_int("MICROSOFT_SIGNING_KEYS_HOURS", 24, minimum=1)
# Fernet keys, newest first; older keys still decrypt so that keys can be rotated.
TOKEN_ENCRYPTION_KEYS = env_fernet_keys("TOKEN_ENCRYPTION_KEY")

# Errors reach a person (config/errors.py): Sentry when SENTRY_DSN is set, scrubbed of tokens and personal data;
# otherwise mail to DJANGO_ADMINS (comma-separated, `Name <address>` or an address) from SERVER_EMAIL.
SENTRY_DSN = env_optional("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
ADMINS = errors.admins(env_list("DJANGO_ADMINS"))
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
if SENTRY_DSN:
    errors.sentry_start(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
