"""Settings for the test suite: fast hashing, in-memory mail, in-process tasks unless a test says otherwise."""

from __future__ import annotations

import os

# Microsoft's real hosts are never the default in tests: a test that forgets the emulator calls a name that
# cannot resolve (RFC 2606 .invalid), and the network guard in tests/conftest.py fails it, naming the host.
os.environ.setdefault("MICROSOFT_LOGIN_URL", "https://login.invalid")
os.environ.setdefault("MICROSOFT_GRAPH_URL", "https://graph.invalid")

from config.env import env_bool, env_str
from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fixed test key, so that encrypted tokens round-trip; never used outside the tests.
TOKEN_ENCRYPTION_KEYS = ["b3ZlcmxhcC10ZXN0LXN1aXRlLW9ubHkta2V5LTAwMDE="]

# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run in-process unless a test starts a real worker (tests marked `redis` do, on the PostgreSQL/Redis pass).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
# A test's beat, web and worker share this process: the shared cache is local memory, emptied for each test. The
# proof's fault table runs them as processes of their own (tests/proof/servers.py sets TEST_SHARED_CACHE=redis),
# which share it in Redis, as in production.
if env_str("TEST_SHARED_CACHE", "memory") != "redis" or not REDIS_URL:  # noqa: F405
    CACHES = {**CACHES, "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}}  # noqa: F405
