"""How fast the emulator serves free/busy: 500 getSchedule calls of 20 mailboxes x 14 days, over HTTPS.

    python -m m365_emulator.bench [--calls 500] [--concurrency 1] [--in-process]

Starts the emulator (a subprocess by default, as the demo runs it), grants admin consent through the control
API, takes an app-only token with client credentials and times the calls with `requests`. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from m365_emulator.testing import EmulatorProcess

MAILBOXES = 20
DAYS = 14


def _token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    url = f"{emulator.base_url}/{emulator.tenant_id}/oauth2/v2.0/token"
    response = emulator.session.post(url, data=form, timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _mailboxes(emulator: EmulatorProcess) -> list[str]:
    tenants = emulator.control("GET", "/tenants")["tenants"]
    contoso = next(t for t in tenants if t["id"] == emulator.tenant_id)
    people = [u["mail"] for u in contoso["users"] if u["hasMailbox"] and u["userType"] == "Member"]
    if len(people) < MAILBOXES:
        raise SystemExit(f"The fixture has {len(people)} mailboxes; the benchmark needs {MAILBOXES}.")
    return sorted(people)[:MAILBOXES]


def _body(addresses: list[str]) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return {
        "schedules": addresses,
        "startTime": {"dateTime": f"{monday.isoformat()}T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": f"{(monday + timedelta(days=DAYS)).isoformat()}T00:00:00", "timeZone": "UTC"},
        "availabilityViewInterval": 30,
    }


def _worker(emulator: EmulatorProcess, token: str, body: dict[str, Any], calls: int) -> tuple[list[float], int]:
    """Sequential calls on one keep-alive session; returns each call's seconds and the bytes received."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not override the emulator's CA
    session.verify = emulator.ca_file
    url = f"{emulator.base_url}/v1.0/users/{body['schedules'][0]}/calendar/getSchedule"
    headers = {"Authorization": f"Bearer {token}"}
    timings, received = [], 0
    for _ in range(calls):
        started = time.perf_counter()
        response = session.post(url, json=body, headers=headers, timeout=60)
        response.raise_for_status()
        value = response.json()["value"]
        timings.append(time.perf_counter() - started)
        received += len(response.content)
        if len(value) != len(body["schedules"]) or any("error" in v for v in value):
            raise SystemExit("getSchedule did not answer for every mailbox.")
    session.close()
    return timings, received


def run(calls: int, concurrency: int, in_process: bool) -> dict[str, Any]:
    emulator = EmulatorProcess.start_thread() if in_process else EmulatorProcess.start_subprocess()
    try:
        token, body = _token(emulator), _body(_mailboxes(emulator))
        _worker(emulator, token, body, 5)  # warm the connection and the per-mailbox expansions
        shares = [calls // concurrency + (1 if n < calls % concurrency else 0) for n in range(concurrency)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(lambda share: _worker(emulator, token, body, share), shares))
        elapsed = time.perf_counter() - started
    finally:
        emulator.stop()
    timings = sorted(t for result in results for t in result[0])
    return {
        "calls": calls,
        "mailboxes_per_call": MAILBOXES,
        "days": DAYS,
        "concurrency": concurrency,
        "server": "in-process thread" if in_process else "subprocess",
        "seconds": round(elapsed, 3),
        "calls_per_second": round(calls / elapsed, 1),
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1] * 1000, 2),
        "mean_response_kb": round(sum(r[1] for r in results) / calls / 1024, 1),
        "target_seconds": 10,
        "within_target": elapsed < 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1, help="parallel clients (Outlook allows 4 per mailbox)")
    parser.add_argument("--in-process", action="store_true", help="serve from a thread of this process")
    args = parser.parse_args()
    print(json.dumps(run(args.calls, max(args.concurrency, 1), args.in_process)))


if __name__ == "__main__":
    main()
