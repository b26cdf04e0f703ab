"""`--state-file`: the world outlives a restart (consents, refresh tokens, events), and is written safely."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import pytest

from m365_emulator.persist import load
from m365_emulator.server import Emulator
from m365_emulator.testing import EmulatorProcess
from tests.emulator.helpers import app_token, graph, signed_in_tokens, token_endpoint

ADELE = "adele.vance@contoso.onmicrosoft.com"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
SECRET = "kept-world-test-secret-0123456789"


def refresh_token_of(emulator: EmulatorProcess, user: str) -> str:
    scope = "openid offline_access User.Read Calendars.ReadWrite"
    return str(signed_in_tokens(emulator, user, scope=scope)["refresh_token"])


def token(emulator: EmulatorProcess, **fields: str) -> dict[str, object]:
    answer: dict[str, object] = token_endpoint(emulator, emulator.tenant_id, **fields).json()
    return answer


def event_body(subject: str, hour: int = 10) -> dict[str, object]:
    return {
        "subject": subject,
        "start": {"dateTime": f"2030-01-07T{hour:02d}:00:00", "timeZone": "UTC"},
        "end": {"dateTime": f"2030-01-07T{hour:02d}:30:00", "timeZone": "UTC"},
    }


def test_a_restarted_emulator_keeps_consent_refresh_tokens_and_events(tmp_path: Path) -> None:
    path = tmp_path / "world.pickle"
    first = EmulatorProcess.start_subprocess(client_secret=SECRET, state_file=str(path))
    try:
        first.grant_admin_consent()
        refresh = refresh_token_of(first, MEGAN)
        app = app_token(first)
        created = graph(first, "POST", f"/users/{ADELE}/events", app, json=event_body("Kept across restarts"))
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
    finally:
        first.stop()
    second = EmulatorProcess.start_subprocess(client_secret=SECRET, state_file=str(path))
    try:
        refreshed = token(second, grant_type="refresh_token", refresh_token=refresh)
        assert "access_token" in refreshed, refreshed
        read = graph(second, "GET", f"/users/{ADELE}/events/{event_id}", app)  # a token from before the restart
        assert read.status_code == 200 and read.json()["subject"] == "Kept across restarts"
        assert graph(second, "GET", f"/users/{MEGAN}", app_token(second)).status_code == 200
    finally:
        second.stop()


def test_without_a_state_file_a_restart_starts_afresh(tmp_path: Path) -> None:
    first = EmulatorProcess.start_thread(client_secret=SECRET)
    try:
        first.grant_admin_consent()
    finally:
        first.stop()
    second = EmulatorProcess.start_thread(client_secret=SECRET)
    try:
        assert token(second, grant_type="client_credentials", scope="https://graph.microsoft.com/.default")[
            "error_codes"
        ] == [700016]
    finally:
        second.stop()


def test_the_kept_secret_stays_when_none_is_given_again(tmp_path: Path) -> None:
    path = tmp_path / "world.pickle"
    first = EmulatorProcess.start_thread(state_file=str(path))
    secret = first.client_secret
    first.stop()
    second = EmulatorProcess.start_thread(state_file=str(path))
    try:
        assert second.client_secret == secret
    finally:
        second.stop()


def test_concurrent_changes_all_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "world.pickle"
    running = EmulatorProcess.start_thread(client_secret=SECRET, state_file=str(path))
    try:
        running.grant_admin_consent()
        app = app_token(running)
        statuses: list[int] = []

        def create(n: int) -> None:
            answer = graph(running, "POST", f"/users/{ADELE}/events", app, json=event_body(f"Parallel {n}", 8 + n % 9))
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=create, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [201] * 12
        reloaded = Emulator(client_secret=SECRET)
        assert load(reloaded, path, client_secret=None)
        tenant = reloaded.state.tenant("contoso.onmicrosoft.com")
        assert tenant is not None
        adele = tenant.user_by_address(ADELE)
        assert adele is not None
        subjects = {e.subject for e in tenant.calendars.events_of(adele.id)}
        assert {f"Parallel {n}" for n in range(12)} <= subjects
        assert not list(tmp_path.glob(".*.tmp"))  # every temporary file was renamed or removed
    finally:
        running.stop()


@pytest.mark.parametrize("content", [b"not a pickle", pickle.dumps({"format": 1, "shape": "an older emulator"})])
def test_an_unreadable_file_is_set_aside_and_the_fixture_starts(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "world.pickle"
    path.write_bytes(content)
    emulator = Emulator(client_secret=SECRET)
    assert load(emulator, path, client_secret=None) is False
    assert (tmp_path / "world.pickle.unreadable").read_bytes() == content
    assert emulator.state.tenant("contoso.onmicrosoft.com") is not None


def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "world.pickle"
    running = EmulatorProcess.start_thread(state_file=str(path))
    running.stop()
    assert path.stat().st_mode & 0o077 == 0
