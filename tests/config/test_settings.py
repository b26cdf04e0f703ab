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
    # Never connected to: `check` reads the settings only.
    "DATABASE_URL": "postgres://overlap@127.0.0.1:5432/overlap",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MICROSOFT_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
    "MICROSOFT_CLIENT_SECRET": "a-client-secret-for-tests-only",
    # A mail relay's settings, never connected to (RFC 2606 .example names resolve nowhere).
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_HOST_USER": "overlap@example.com",
    "EMAIL_HOST_PASSWORD": "a-mail-password-for-tests-only",
    "DEFAULT_FROM_EMAIL": "Overlap <overlap@example.com>",
}
PREFIXES = ("DJANGO_", "MICROSOFT_", "REDIS_", "DATABASE_", "TOKEN_", "EMAIL_", "DEFAULT_FROM_EMAIL", "RATE_LIMIT_")


def manage(*args: str, settings: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the WSGI application as gunicorn would, with production settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "config.settings.production"},
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
        ("CELERY_VISIBILITY_TIMEOUT", "1h", "CELERY_VISIBILITY_TIMEOUT must be a whole number"),
        ("RATE_LIMIT_BOOKINGS", "lots", "RATE_LIMIT_BOOKINGS must be a count per period such as 20/h"),
        ("RATE_LIMIT_SIGN_IN_FAILURES", "5/0m", "RATE_LIMIT_SIGN_IN_FAILURES must be a count per period"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be a whole number"),
    ],
)
def test_a_malformed_variable_stops_start_up_and_is_named(variable: str, value: str, message: str) -> None:
    result = manage("check", settings="config.settings.local", env={variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_malformed_token_key_stops_every_environment() -> None:
    result = manage("check", settings="config.settings.local", env={"TOKEN_ENCRYPTION_KEY": "notakey"})
    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEY must hold Fernet keys" in result.stderr


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


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Production settings whose static files were collected (the manifest exists)."""
    env = {**GOOD_PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path_factory.mktemp("static"))}
    result = manage("collectstatic", "--noinput", settings="config.settings.production", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_production_settings_pass_the_deployment_checklist_without_warnings(collected: dict[str, str]) -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", settings="config.settings.production", env=collected
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def _without(name: str) -> dict[str, str]:
    return {k: v for k, v in GOOD_PRODUCTION.items() if k != name}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (_without("DATABASE_URL"), "Set the environment variable DATABASE_URL"),
        ({**GOOD_PRODUCTION, "DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL must be a PostgreSQL URL"),
        ({**GOOD_PRODUCTION, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must be a PostgreSQL URL"),
        (_without("REDIS_URL"), "Set REDIS_URL"),
        (_without("MICROSOFT_CLIENT_ID"), "Set MICROSOFT_CLIENT_ID"),
        (_without("MICROSOFT_CLIENT_SECRET"), "Set MICROSOFT_CLIENT_SECRET"),
        ({**GOOD_PRODUCTION, "TOKEN_ENCRYPTION_KEY": "notakey"}, "TOKEN_ENCRYPTION_KEY must hold Fernet keys"),
        (
            {**GOOD_PRODUCTION, "TOKEN_ENCRYPTION_KEY": GOOD_PRODUCTION["TOKEN_ENCRYPTION_KEY"] + ",notakey"},
            "key 2 is not one",
        ),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(env: dict[str, str], message: str) -> None:
    result = manage("check", settings="config.settings.production", env=env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "notakey" not in result.stderr  # a secret's value is never echoed


def test_two_well_formed_keys_are_accepted_for_rotation(collected: dict[str, str]) -> None:
    second = "c2Vjb25kLXRlc3Qta2V5LWZvci1yb3RhdGlvbi0wMDA="
    env = {**collected, "TOKEN_ENCRYPTION_KEY": f"{second},{GOOD_PRODUCTION['TOKEN_ENCRYPTION_KEY']}"}
    result = manage("check", settings="config.settings.production", env=env)
    assert result.returncode == 0, result.stderr


def test_the_deployment_check_says_when_collectstatic_was_not_run(tmp_path: Path) -> None:
    env = {**GOOD_PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path)}
    result = manage("check", "--deploy", settings="config.settings.production", env=env)
    assert result.returncode != 0
    assert "overlap.E001" in result.stderr and "collectstatic" in result.stderr


def test_the_web_server_refuses_to_start_without_collected_static_files(tmp_path: Path) -> None:
    result = start_wsgi({**GOOD_PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path)})
    assert result.returncode != 0
    assert "static files manifest" in result.stderr and "collectstatic --noinput" in result.stderr


def test_the_web_server_starts_once_static_files_are_collected(collected: dict[str, str]) -> None:
    result = start_wsgi(collected)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "which prints mail to the log"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "which keeps mail in memory"),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST names no mail server"),
        ({"DEFAULT_FROM_EMAIL": ""}, "an address no mail server accepts mail from"),
    ],
)
def test_production_without_a_real_mail_backend_fails_the_deployment_check(
    collected: dict[str, str], change: dict[str, str], message: str
) -> None:
    result = manage("check", "--deploy", settings="config.settings.production", env={**collected, **change})
    assert result.returncode != 0
    assert "overlap.E002" in result.stderr and message in result.stderr
    assert "invitations and password resets would reach nobody" in result.stderr


def test_production_sends_mail_by_smtp_to_the_named_relay_by_default(collected: dict[str, str]) -> None:
    shown = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)",
        settings="config.settings.production",
        env=collected,
    )
    assert shown.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.com", "587", "True"]
