"""The WSGI entry point (production settings unless DJANGO_SETTINGS_MODULE says otherwise)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from config.checks import refuse_to_start_without_static  # noqa: E402  (needs the apps loaded)

refuse_to_start_without_static()
