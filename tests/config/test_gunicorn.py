"""Gunicorn's configuration: defaults for a 2-core machine, the environment's values, JSON access lines."""

from __future__ import annotations

import io
import json
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from config.logs import JsonFormatter, RequestIdFilter

CONFIG = str(Path(__file__).resolve().parent.parent.parent / "config" / "gunicorn.py")


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    return runpy.run_path(CONFIG)


def test_on_two_cores_it_runs_four_workers_of_eight_threads_and_stops_gracefully(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _load(monkeypatch)
    assert (values["bind"], values["workers"], values["threads"]) == ("0.0.0.0:8000", 4, 8)
    assert values["worker_class"] == "gthread"
    assert values["graceful_timeout"] < values["timeout"]
    assert values["forwarded_allow_ips"] == "127.0.0.1,::1"  # only a local proxy is believed by default
    assert values["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
    assert values["preload_app"] is True  # a renewed worker is forked ready, not made to import Django again
    assert (values["max_requests"], values["max_requests_jitter"]) == (20000, 10000)  # renewals rare and spread out


def test_the_environment_sets_port_workers_threads_and_the_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PORT": "9000", "WEB_CONCURRENCY": "5", "GUNICORN_THREADS": "1", "FORWARDED_ALLOW_IPS": "10.0.0.2"}
    values = _load(monkeypatch, **env)
    assert (values["bind"], values["workers"], values["threads"]) == ("0.0.0.0:9000", 5, 1)
    assert values["worker_class"] == "sync"
    assert values["forwarded_allow_ips"] == "10.0.0.2"


def test_a_malformed_number_stops_gunicorn_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
        _load(monkeypatch, WEB_CONCURRENCY="many")


def test_an_access_line_is_json_with_the_request_id_the_app_answered_with(monkeypatch: pytest.MonkeyPatch) -> None:
    values = _load(monkeypatch)
    config = Config()
    config.set("accesslog", "-")
    access = values["JsonAccessLogger"](config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    access.access_log = logging.Logger("test.access")
    access.access_log.addHandler(handler)
    response = SimpleNamespace(status="201 Created", headers=[("X-Request-ID", "rid-1")], sent=12)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": '/a"b\n{"forged": 1}', "REMOTE_ADDR": "10.0.0.2"}

    access.access(response, None, environ, timedelta(milliseconds=25))

    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "rid-1" and entry["status"] == 201 and entry["path"] == '/a"b\n{"forged": 1}'
    assert entry["ms"] == 25.0 and entry["logger"] == "test.access"


def test_the_master_compiles_every_page_before_forking_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.template import engines

    values = _load(monkeypatch)
    loader = engines["django"].engine.template_loaders[0]  # type: ignore[attr-defined]  # the cached loader
    loader.reset()
    logged: list[tuple[Any, ...]] = []
    values["when_ready"](SimpleNamespace(log=SimpleNamespace(info=lambda *args: logged.append(args))))
    assert {"booking/_results.html", "booking/page.html", "base.html"} <= set(loader.get_template_cache)
    assert logged and logged[0][1] == len(list((Path(CONFIG).parent.parent / "templates").rglob("*.html")))


def test_the_master_keeps_what_it_holds_out_of_its_workers_garbage_collections() -> None:
    import subprocess
    import sys

    # A process of its own, as gunicorn's master is (this test run's own heap is frozen by tests/conftest.py).
    script = (
        "import gc\n"
        "held = [[n] for n in range(50_000)]\n"
        "from config.warm import freeze\n"
        "frozen = freeze()\n"
        "print(frozen, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    root = Path(CONFIG).parent.parent
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True).stdout
    frozen, counted, walked = map(int, out.split())
    assert frozen == counted >= 50_000  # the lists the process holds are frozen...
    assert walked < 1_000  # ...so a collection walks next to nothing of what was there before the fork
