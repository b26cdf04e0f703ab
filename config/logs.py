"""Logs as JSON lines in production: one object per line, with the request id and the Celery task, if any.

A small formatter rather than a library: the standard `logging` record already has every field we keep, and
`json.dumps` escapes whatever a message carries (a newline in a header cannot start a forged line).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from config import request_id

# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_OURS = {"request_id", "task_id", "task_name"}


class RequestIdFilter(logging.Filter):
    """Puts the current request id and Celery task on every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:  # an access line brings the id it answered with
            record.request_id = request_id.current()
        record.task_id, record.task_name = _current_task()
        return True


def _current_task() -> tuple[str | None, str | None]:
    from celery import current_task

    task = current_task
    if not task or getattr(task.request, "id", None) is None:
        return None, None
    return task.request.id, task.name


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...extra fields, "exception"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "task_id", "task_name"):
            if getattr(record, name, None):
                entry[name] = getattr(record, name)
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in _OURS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(*, level: str, json_lines: bool, mail_admins: bool = False) -> dict[str, Any]:
    """Django's LOGGING: every line to stderr, JSON in production, the request id on each either way; with
    `mail_admins`, every error (a 500, a task that failed for good) is mailed to Django's ADMINS as well."""
    config = _logging_config(level=level, json_lines=json_lines)
    if mail_admins:
        config["filters"]["require_debug_false"] = {"()": "django.utils.log.RequireDebugFalse"}
        config["handlers"]["mail_admins"] = {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request_id"],
        }
        config["root"]["handlers"].append("mail_admins")
    return config


def _logging_config(*, level: str, json_lines: bool) -> dict[str, Any]:
    plain = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "plain": {"format": plain},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default mails its own errors to ADMINS whatever is configured; `mail_admins` decides here.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            # Gunicorn's own loggers go through the same handler (its access lines: config/gunicorn.py).
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
