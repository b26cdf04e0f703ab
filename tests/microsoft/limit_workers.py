"""A worker process for the mailbox-limit test: imports no Django, so that a spawned process can run it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig

ADELE = "adele.vance@contoso.onmicrosoft.com"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"


def hammer(config: dict[str, Any], tenant: str, threads: int, calls: int, start_line: Any, results: Any) -> None:
    """`threads` threads, each making `calls` getSchedule calls on Adele's mailbox, all processes starting
    together at `start_line` (a Barrier); puts how many calls failed on `results`."""
    client = GraphClient.for_tenant(MicrosoftConfig(**config), tenant)
    client.transport.tokens()
    start_line.wait(timeout=60)
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    start = today + timedelta(days=7 - today.weekday())

    def one_thread(_: int) -> int:
        failed = 0
        for _ in range(calls):
            try:
                client.get_schedules(ADELE, [MEGAN], start, start + timedelta(hours=8))
            except Exception:  # counted: the test expects none
                failed += 1
        return failed

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results.put(sum(pool.map(one_thread, range(threads))))
