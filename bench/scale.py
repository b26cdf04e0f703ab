"""An organization of 1,000, 10,000 and 100,000 people: what the directory sync costs, measured.

    python -m bench.scale [--people 1000,10000,100000] [--latency-ms 150] [--changes 100] [--meetings 1000,10000]

Runs on PostgreSQL when DATABASE_URL is set (a throw-away `test_` database next to it), else on an in-memory
SQLite. The Microsoft 365 emulator runs as a separate process (so that its memory is not counted), with
Contoso grown to N people by its crowd call and every Graph request delayed by --latency-ms. For each N:
- first sync: wall time, Graph requests, peak RSS growth of this process (the one doing the sync);
- full re-sync with nothing changed: time, requests, writes to people (should be 0), and the tracemalloc peak
  of another one (traced apart: tracing slows Python down);
- quiet delta sync (nothing changed) and delta sync after --changes changes in Entra ID: time and requests.
Then, when the modules exist, `bench.scale_search.measure(people)` for each N and
`bench.scale_readback.measure(meetings)` for each --meetings figure, their dicts printed as they come.
Targets at 150 ms on PostgreSQL: first sync of 100,000 <= 3 minutes, delta sync of 100 changes <= 5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

import django

django.setup()
logging.getLogger("integrations.microsoft.graph").setLevel(logging.WARNING)  # a line per Graph call hides the figures

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_test_environment

from accounts.models import Membership, Organization, User
from bench.django_env import domain_wide_connection
from config.celery_app import app as _celery  # noqa: F401  (tasks run in-process: no broker)
from m365_emulator.testing import EmulatorProcess

WRITES = ("INSERT", "UPDATE", "DELETE")


def _point_at(emulator: EmulatorProcess) -> None:
    settings.MICROSOFT_LOGIN_URL = settings.MICROSOFT_GRAPH_URL = emulator.base_url
    settings.MICROSOFT_CA_BUNDLE = emulator.ca_file
    settings.MICROSOFT_CLIENT_ID = emulator.client_id
    settings.MICROSOFT_CLIENT_SECRET = emulator.client_secret


def _organization(emulator: EmulatorProcess) -> Organization:

    organization = Organization.objects.create(name="Contoso")
    domain_wide_connection(organization, emulator)
    admin = User.objects.create_user("it.admin@contoso.example", name="IT Admin")
    Membership.objects.create(user=admin, organization=organization, role=Membership.Role.ADMIN)
    return organization


def _rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (the peak RSS) to the current RSS


def _graph_requests(emulator: EmulatorProcess, since: int) -> int:
    return sum(1 for entry in emulator.log(since) if str(entry["path"]).startswith("/v1.0/"))


def _writes_people(sql: str) -> bool:
    """A write to people, memberships or directory entries (the connection's last-sync line is not one)."""
    return sql.lstrip().upper().startswith(WRITES) and "integrations_connection" not in sql


def _timed(emulator: EmulatorProcess, run: Callable[[], Any]) -> tuple[Any, float, int, int]:
    """(result, seconds, Graph requests, writes to people) of one sync; queries are counted, not kept."""
    before, writes = emulator.last_seq(), [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        writes[0] += _writes_people(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
    return result, seconds, _graph_requests(emulator, before), writes[0]


def _traced_peak(run: Callable[[], Any]) -> float:
    """The largest memory Python held during `run`, in MB (tracemalloc slows it down: not timed)."""
    tracemalloc.start()
    try:
        run()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def measure_sync(emulator: EmulatorProcess, people: int, latency_ms: float, changes: int) -> dict[str, Any]:
    from integrations.directory import sync as directory
    from integrations.models import Connection

    call_command("flush", interactive=False, verbosity=0)
    emulator.reset(fixture="demo", seed=1)
    emulator.grant_admin_consent()
    started = time.perf_counter()
    emulator.add_crowd(people - 41, seed=1)  # the demo's Contoso has 41 people already
    built = time.perf_counter() - started
    organization = _organization(emulator)
    emulator.control("POST", "/latency", {"ms": latency_ms})

    def sync() -> directory.SyncResult:
        return directory.directory_sync(organization=organization)

    figures: dict[str, Any] = {"people in the directory": people, "emulator world built (s)": round(built, 1)}
    rss_before = _rss_kb()
    _reset_peak()
    first, seconds, requests, _ = _timed(emulator, sync)
    figures |= {
        "first sync (s)": round(seconds, 1),
        "first sync requests": requests,
        "first sync result": first.summary,
        "first sync peak RSS growth (MB)": round((_rss_kb("VmHWM") - rss_before) / 1024, 1),
    }

    def full_sync() -> directory.SyncResult:
        Connection.objects.filter(organization=organization).update(directory_delta_link="")
        return sync()

    _, seconds, requests, writes = _timed(emulator, full_sync)
    figures |= {
        "full re-sync, nothing changed (s)": round(seconds, 1),
        "full re-sync requests": requests,
        "full re-sync writes to people": writes,
        "full re-sync tracemalloc peak (MB)": _traced_peak(full_sync),
    }
    _, seconds, requests, writes = _timed(emulator, sync)
    figures |= {"quiet delta sync (s)": round(seconds, 2), "quiet delta requests": requests}
    figures["quiet delta writes to people"] = writes
    emulator.control("POST", "/latency", {"ms": 0})
    emulator.change_crowd(changes, seed=people)
    emulator.control("POST", "/latency", {"ms": latency_ms})
    delta, seconds, requests, _ = _timed(emulator, sync)
    figures |= {
        f"delta sync, {changes} changes (s)": round(seconds, 2),
        "delta sync requests": requests,
        "delta sync result": delta.summary,
    }
    emulator.control("POST", "/latency", {"ms": 0})
    return figures


def _others(people: list[int], meetings: list[int]) -> None:
    for module_name, label, sizes in (
        ("bench.scale_search", "people", people),
        ("bench.scale_readback", "meetings", meetings),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            print(f"\n{module_name}: not present, skipped")
            continue
        for size in sizes:
            print(f"\n{module_name}.measure({label}={size})")
            try:
                found = module.measure(size)
            except Exception as exc:  # one failing measurement must not hide the others
                print(f"  failed: {type(exc).__name__}: {exc}")
                continue
            for key, value in dict(found).items():
                print(f"  {key}: {value}")


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="1000,10000,100000")
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--meetings", default="1000,10000")
    args = parser.parse_args()
    setup_test_environment()
    kept_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    python = sys.version.split()[0]
    print(f"Database: {connection.vendor}; emulated Graph latency {args.latency_ms:g} ms; Python {python}")
    try:
        emulator = EmulatorProcess.start_subprocess()
        try:
            _point_at(emulator)
            for people in _sizes(args.people):
                print(f"\n{people:,} people")
                for key, value in measure_sync(emulator, people, args.latency_ms, args.changes).items():
                    print(f"  {key}: {value}")
        finally:
            emulator.stop()
        _others(_sizes(args.people), _sizes(args.meetings))
    finally:
        connection.creation.destroy_test_db(kept_name, verbosity=0)


if __name__ == "__main__":
    main()
