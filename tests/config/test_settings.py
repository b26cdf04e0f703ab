"""Start-up refuses bad configuration with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_PRODUCTION = {
    "DJANGO_SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-for-tests-only-" + "q" * 10,
    "DJANGO_ALLOWED_HOSTS": "overlap.example.com",
    "TOKEN_ENCRYPTION_KEY": "b3ZlcmxhcC10ZXN0LXN1aXRlLW9ubHkta2V5LTAwMDE=",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args: str, settings: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MICROSOFT_", "REDIS_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be true or false"),
        ("DATABASE_URL", "notadatabase://x", "DATABASE_URL"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must start with redis://"),
        ("MICROSOFT_LOGIN_URL", "http://login.example.com", "MICROSOFT_LOGIN_URL must be a URL starting with https://"),
        ("MICROSOFT_CA_BUNDLE", "/nonexistent/ca.pem", "MICROSOFT_CA_BUNDLE names"),
        ("DATABASE_CONN_MAX_AGE", "forever", "DATABASE_CONN_MAX_AGE must be a whole number"),
    ],
)
def test_a_malformed_variable_stops_start_up_and_is_named(variable: str, value: str, message: str) -> None:
    result = manage("check", settings="config.settings.local", env={variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", settings="config.settings.production", env=env)
    assert result.returncode != 0
    assert "Set the environment variable DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_keep_tokens_unencrypted() -> None:
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != "TOKEN_ENCRYPTION_KEY"}
    result = manage("check", settings="config.settings.production", env=env)
    assert "TOKEN_ENCRYPTION_KEY" in result.stderr


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(GOOD_PRODUCTION["DJANGO_SECRET_KEY"] + "\n")
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", settings="config.settings.production", env={**env, "DJANGO_SECRET_KEY_FILE": str(secret)})
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checklist_without_warnings() -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", settings="config.settings.production", env=GOOD_PRODUCTION
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
