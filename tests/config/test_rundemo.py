"""`make run` keeps the emulator's world in .run/, next to the secrets it keeps there."""

from __future__ import annotations

import argparse

import pytest

from config import rundemo, runprod
from m365_emulator.cli import add_arguments


def test_the_demo_starts_the_emulator_with_a_state_file_in_the_run_folder() -> None:
    command = rundemo.emulator_command("a-secret")
    state = command[command.index("--state-file") + 1]
    assert state == str(rundemo.RUN_DIR / "m365-emulator-state.pickle")
    assert "--client-secret=a-secret" in command


def emulator_options(command: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_arguments(parser)
    return parser.parse_args(command[command.index("m365_emulator") + 1 :])


@pytest.mark.parametrize("secret", ["-Xy3_kept-by-an-older-version", "--looks-like-an-option", "plain"])
def test_a_kept_secret_that_starts_with_a_dash_reaches_the_emulator_whole(secret: str) -> None:
    """token_urlsafe starts one secret in 64 with "-": `make run` and `make prod` must start with it, every time."""
    settings = runprod.Settings("postgres://", "redis://", 8080, rundemo.RUN_DIR, 8453, 8454)
    assert emulator_options(rundemo.emulator_command(secret)).client_secret == secret
    assert emulator_options(runprod.prod_emulator_command(settings, secret)).client_secret == secret


def test_the_banner_says_where_microsofts_side_is_kept() -> None:
    info = {"base_url": "https://127.0.0.1:8443", "browser_url": "http://127.0.0.1:8444"}
    text = rundemo.banner({**info, "tenant_domain": "contoso.onmicrosoft.com", "tenant_id": "t"})
    assert ".run/m365-emulator-state.pickle" in text


def test_the_demo_notices_what_happens_in_outlook_within_a_minute_unless_told_otherwise() -> None:
    demo = rundemo.periodic_environment({})
    worst = int(demo["READ_BACK_ROUND_SECONDS"]) + int(demo["READ_BACK_SOON_SECONDS"])
    assert worst <= 60 and int(demo["READ_BACK_LATER_SECONDS"]) <= 60  # a meeting next month too
    assert int(demo["CONNECTION_CHECK_MINUTES"]) <= 2  # a revoked consent shows without anyone acting
    assert rundemo.periodic_environment({"READ_BACK_ROUND_SECONDS": "5"})["READ_BACK_ROUND_SECONDS"] == "5"
    command = rundemo.beat_command()
    assert command[command.index("--app") + 1 : command.index("--app") + 3] == ["config.celery_app", "beat"]
    assert command[-1] == str(rundemo.RUN_DIR / "demo-celerybeat-schedule")
