"""`make prod`'s Redis keeps its queue through a crash: tasks waiting for a worker are not lost with it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery

from config import runprod
from tests.conftest import running_in_ci


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_dir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    if shutil.which("redis-server") is None:
        if running_in_ci():
            pytest.fail("redis-server is missing; CI must provide it.")
        pytest.skip("redis-server is not installed")
    yield tmp_path, free_port()


def crash(process: object) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    process.wait()  # type: ignore[attr-defined]


def test_a_task_waiting_in_make_prods_redis_is_still_there_after_redis_is_killed_and_restarted(
    redis_dir: tuple[Path, int],
) -> None:
    run_dir, port = redis_dir
    process, url = runprod.start_redis(run_dir, port)
    try:
        Celery(broker=url).send_task("booking.tasks.sweep_pending")
        time.sleep(1.5)  # appendfsync everysec: what was written a second ago is on disk
    finally:
        crash(process)
    process, url = runprod.start_redis(run_dir, port)
    try:
        assert redis.Redis.from_url(url).llen("celery") == 1
    finally:
        crash(process)


def test_a_redis_without_an_append_only_file_is_named_with_what_it_loses(redis_dir: tuple[Path, int]) -> None:
    run_dir, port = redis_dir
    process, url = runprod.start_redis(run_dir, port)
    try:
        assert runprod.redis_persistence_warning(url) == ""
        redis.Redis.from_url(url).config_set("appendonly", "no")
        warning = runprod.redis_persistence_warning(url)
    finally:
        crash(process)
    assert f"Redis at {url} keeps no append-only file (appendonly no)" in warning
    assert "the tasks waiting in it are lost" in warning and "appendonly yes" in warning
