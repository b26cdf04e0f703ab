"""Gunicorn's configuration: `gunicorn --config config/gunicorn.py config.wsgi`.

Every value comes from the environment, with defaults for a 2-core machine behind a TLS proxy:
- `PORT` (8000) and `GUNICORN_BIND` (`0.0.0.0:$PORT`);
- `WEB_CONCURRENCY` worker processes (default: twice the number of cores, at least 2) of `GUNICORN_THREADS`
  threads each (default 8, gthread): a page mostly waits on PostgreSQL, Redis or Graph, so threads are cheaper than
  processes, and a search that waits on Graph (150 ms and more) must not leave the searches answered from the cache
  queued behind it; with 4 threads, 32 clients at 150 ms Graph latency got half the searches per second they got
  at 0 ms (README, "Under load"). But one process runs Python on one core at a time (the GIL), and a browser's
  kept-alive connection stays with the worker that took it: with one worker a core (2 x 16), one worker held most
  of 32 clients' connections, ran at 87% of a core while the other ran at 32%, and the machine served 48 to 88
  searches a second with a third of its CPU idle; with two a core (4 x 8, as many threads in all) the same run
  kept both cores busy and served 91 to 115. Each thread keeps its own PostgreSQL connection
  (`DATABASE_CONN_MAX_AGE`): workers x threads must stay within the server's connections;
- `GUNICORN_TIMEOUT` (30 s) before a stuck worker is replaced; `GUNICORN_GRACEFUL_TIMEOUT` (25 s) for requests
  in flight to finish after SIGTERM;
- `FORWARDED_ALLOW_IPS` (`127.0.0.1,::1`): the proxies whose `X-Forwarded-Proto` and `X-Forwarded-For` are
  believed. Set it to the load balancer's addresses; `*` only where nothing else can reach the port.
Logs are JSON lines on stderr; each access line carries the request id the app answered with.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

# Importing `config` below must not choose the development settings: the WSGI entry point's default, first.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from config.logs import logging_config


def _number(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, not {value}.")
    return value


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_number('PORT', 8000)}"
workers = _number("WEB_CONCURRENCY", max(2, 2 * (os.cpu_count() or 1)))
threads = _number("GUNICORN_THREADS", 8)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _number("GUNICORN_TIMEOUT", 30)
graceful_timeout = _number("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _number("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests, plus up to half as many again (workers started together and
# evenly loaded otherwise renew within seconds of each other: with a tenth, three of four did in 8 s). A renewed
# worker starts without its database connections, statements and caches, and under load each renewal slowed the
# next seconds' searches (p95 300 ms at Graph 150 ms with four renewals in the run, 46 ms without;
# bench/SEARCH_PROFILE.md, seventh pass). A worker's memory stays flat (about 110 MiB after 3,600 searches), so
# renewal is a rare safety net, not a routine.
max_requests = _number("GUNICORN_MAX_REQUESTS", 20000, minimum=0)
max_requests_jitter = max_requests // 2
# The app is imported once, in the master, and the workers are forked from it: a worker renewed by max_requests
# serves at once instead of importing Django again (about 0.7 s of CPU and 1.7 s during which the other workers
# carry its share), and the workers share the code's memory. Importing opens no connection and starts no thread:
# Django connects on first use, redis-py's pools and the Graph session are made in the worker that uses them,
# Celery renews its pools after a fork.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
logconfig_dict = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), json_lines=True)


class JsonAccessLogger(Logger):
    """One access line per request, as fields of the JSON log line, with the id the app answered with."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        headers = {str(name).lower(): str(value) for name, value in (resp.headers or [])}
        status = str(resp.status).split(None, 1)[0]
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status) if status.isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 1),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": headers.get("x-request-id"),
        }
        try:
            self.access_log.info("%s %s %s", fields["method"], fields["path"], status, extra=fields)
        except Exception:  # an access line must never fail a response
            self.error_log.exception("Access log line failed: %s", json.dumps(fields, default=str))


logger_class = JsonAccessLogger


def when_ready(server: Any) -> None:
    """In the master, the app loaded, before the first worker is forked: what each worker would build on its first
    requests is built once, and every worker (the renewed ones too) is forked with it (config/warm.py)."""
    from config.warm import freeze, warm

    templates = warm()
    server.log.info(
        "Warmed before forking: %d templates, the URLs and every language's catalogue; %d objects kept out of the "
        "garbage collector's walks",
        templates,
        freeze(),
    )
