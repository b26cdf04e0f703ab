"""`make run` keeps the emulator's world in .run/, next to the secrets it keeps there."""

from __future__ import annotations

from config import rundemo


def test_the_demo_starts_the_emulator_with_a_state_file_in_the_run_folder() -> None:
    command = rundemo.emulator_command("a-secret")
    state = command[command.index("--state-file") + 1]
    assert state == str(rundemo.RUN_DIR / "m365-emulator-state.pickle")
    assert command[command.index("--client-secret") + 1] == "a-secret"


def test_the_banner_says_where_microsofts_side_is_kept() -> None:
    info = {"base_url": "https://127.0.0.1:8443", "browser_url": "http://127.0.0.1:8444"}
    text = rundemo.banner({**info, "tenant_domain": "contoso.onmicrosoft.com", "tenant_id": "t"})
    assert ".run/m365-emulator-state.pickle" in text
