"""Sessions in the database, as Django's `db` backend keeps them, read with a kept statement: every signed-in
request reads its session, and making that SQL afresh cost more CPU than the database's answer
(`accounts.kept_queries`). The table, the rows and everything else are Django's, so sessions made before stay
valid. Not `cached_db`: see SESSION_ENGINE in config/settings/base.py."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from accounts.kept_queries import KeptQuery

_LIVE = KeptQuery(lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now))


class SessionStore(DatabaseStore):
    def _get_session_from_db(self) -> Any:
        try:
            return _LIVE.get(self.session_key, timezone.now())
        except (Session.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            self._session_key = None
            return None
