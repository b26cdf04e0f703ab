"""The proof's own servers (tests/proof/servers.py): the launcher hands the fault table two spare ports and a
folder, and cleans up after it; without the servers' binaries or the launcher, the fault table fails under CI and
is skipped elsewhere; the servers CI shares are never the ones it kills."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.proof import conftest as proof
from tests.proof import servers
from tests.proof.conftest import own_servers_or_stop


def test_the_launcher_runs_the_command_on_spare_ports_and_removes_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = tmp_path / "environment"
    script = (
        "import os, pathlib; pathlib.Path(os.environ['SAID']).write_text('\\n'.join(os.environ[k] for k in "
        "('DATABASE_URL', 'REDIS_URL', 'PROOF_OWN_SERVERS', 'TEST_SHARED_CACHE'))); raise SystemExit(3)"
    )
    monkeypatch.setenv("SAID", str(said))

    status = servers.main([sys.executable, "-c", script])

    database, redis, folder, shared = said.read_text().splitlines()
    assert status == 3, "the launcher exits with the command's status"
    assert database.startswith("postgres://postgres@127.0.0.1:") and database.endswith("/overlap_faults")
    assert redis.startswith("redis://127.0.0.1:") and shared == "redis"
    ports = {int(database.split(":")[2].split("/")[0]), int(redis.split(":")[2].split("/")[0])}
    assert len(ports) == 2 and not ports & servers.SHARED_PORTS
    assert not Path(folder).exists(), "the servers' folder is removed afterwards"


def test_the_servers_ci_shares_are_never_started_or_killed_by_the_proof(tmp_path: Path) -> None:
    for port in (5432, 6379):
        with pytest.raises(servers.ServerFailed, match="shared"):
            servers.OwnRedis(port, tmp_path).start()
        with pytest.raises(servers.ServerFailed, match="shared"):
            servers.OwnPostgres(port, tmp_path).start()


def test_missing_binaries_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setattr(servers.glob, "glob", lambda pattern: [])
    assert servers.missing_binaries() == ["redis-server", "initdb", "pg_ctl"]


def test_postgresql_binaries_are_found_in_debians_versioned_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    found = [
        "/usr/lib/postgresql/9/bin/pg_ctl",
        "/usr/lib/postgresql/16/bin/pg_ctl",
        "/usr/lib/postgresql/15/bin/pg_ctl",
    ]
    monkeypatch.setattr(servers.glob, "glob", lambda pattern: found)
    assert servers.postgres_bin("pg_ctl") == "/usr/lib/postgresql/16/bin/pg_ctl"


@pytest.mark.parametrize("ci", ["true", ""])
def test_without_the_servers_binaries_the_fault_table_fails_under_ci_and_is_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PROOF_OWN_SERVERS", "/tmp/anywhere")  # as the launcher sets them
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:40001/overlap_faults")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:40002/0")
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setattr(servers.glob, "glob", lambda pattern: [])
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(outcome, match="redis-server, initdb, pg_ctl not installed"):
        own_servers_or_stop()


@pytest.mark.parametrize("ci", ["true", ""])
def test_without_the_launcher_the_fault_table_fails_under_ci_and_is_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("PROOF_OWN_SERVERS", raising=False)
    monkeypatch.setattr(proof, "missing_binaries", lambda: [])
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(outcome, match="run through the launcher"):
        own_servers_or_stop()
