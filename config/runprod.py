"""`make prod`: the production stack on this machine, against PostgreSQL and Redis, by the Procfile.

It runs the Procfile's `release` line (migrations), seeds the demo, then starts its `web` (static files
collected, then gunicorn), `worker` and `beat` lines exactly as a platform would, with production settings.
The Microsoft 365 emulator stands in for Microsoft. Ctrl-C (or SIGTERM) stops the web server first, then beat
and the worker (each finishing what it has in hand), then the emulator.

Redis is the broker: a task waiting in it is lost if Redis restarts without persistence. So without `REDIS_URL`
it starts its own Redis, with an append-only file (`appendonly yes`, `appendfsync everysec`) in
`OVERLAP_RUN_DIR/prod-redis` on `OVERLAP_PROD_REDIS_PORT` (6390): a restarted Redis keeps its queue. With
`REDIS_URL` it uses that one, and says so when it keeps no append-only file.

Environment: `DATABASE_URL` (the Makefile gives a default; the database is created if it is missing),
`REDIS_URL` (optional, as above), `PORT` (8080), `OVERLAP_RUN_DIR` (`.run/`, where the kept secrets and the
emulator's world live), `OVERLAP_PROD_EMULATOR_PORT` / `OVERLAP_PROD_EMULATOR_HTTP_PORT` (8453 / 8454; 0 picks
free ones).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from config.rundemo import DEMO_LOGINS, emulator_command, kept_secret, microsoft_environment, read_announcement

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
SERVICES = ("web", "worker", "beat")
STOP_ORDER = (("web", "beat"), ("worker",))  # the worker last: it finishes the tasks the web enqueued
STOP_SECONDS = 30.0
READY_SECONDS = 90.0


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's process types and their commands."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not line.lstrip().startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names when it does not exist yet (a fresh machine)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclass
class Settings:
    database_url: str
    redis_url: str  # empty: start a Redis with persistence (redis_command)
    port: int
    run_dir: Path
    emulator_port: int
    emulator_http_port: int
    redis_port: int = 6390

    @classmethod
    def from_environment(cls) -> Settings:
        def required(name: str) -> str:
            value = os.environ.get(name, "")
            if not value:
                raise SystemExit(f"Set {name}: `make prod` runs against PostgreSQL and Redis.")
            return value

        return cls(
            database_url=required("DATABASE_URL"),
            redis_url=os.environ.get("REDIS_URL", ""),
            port=int(os.environ.get("PORT", "8080")),
            run_dir=Path(os.environ.get("OVERLAP_RUN_DIR", str(ROOT / ".run"))),
            emulator_port=int(os.environ.get("OVERLAP_PROD_EMULATOR_PORT", "8453")),
            emulator_http_port=int(os.environ.get("OVERLAP_PROD_EMULATOR_HTTP_PORT", "8454")),
            redis_port=int(os.environ.get("OVERLAP_PROD_REDIS_PORT", "6390")),
        )


def redis_command(run_dir: Path, port: int) -> list[str]:
    """A Redis on loopback that writes every change to an append-only file, fsynced each second: a restart (or a
    crash) loses at most the last second's tasks, and the sweep sends again any booking among them."""
    data = run_dir / "prod-redis"
    data.mkdir(parents=True, exist_ok=True)
    return [
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)),
        *("--appendonly", "yes", "--appendfsync", "everysec"),
    ]


def start_redis(run_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start `redis_command` and wait until it answers; its process and URL."""
    import redis

    process = start(redis_command(run_dir, port), stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(redis.RedisError):
            if redis.Redis.from_url(url, socket_timeout=1).ping():
                return process, url
        time.sleep(0.1)
    _signal(process, signal.SIGKILL)
    raise SystemExit(f"Redis did not start on port {port} (is `redis-server` installed, is the port free?).")


def redis_persistence_warning(url: str) -> str:
    """What an operator must know about a Redis they gave, when it keeps no append-only file; empty otherwise."""
    import redis

    try:
        found: Any = redis.Redis.from_url(url, socket_timeout=3).config_get("appendonly")
        appendonly = found.get("appendonly")
    except redis.RedisError:  # a managed Redis may refuse CONFIG: its provider's persistence applies
        return ""
    if appendonly == "yes":
        return ""
    return (
        f"Redis at {_without_password(url)} keeps no append-only file (appendonly {appendonly}): if it restarts, the "
        "tasks waiting in it are lost. Nothing is lost for good (the sweep sends pending bookings again, beat plans "
        "the read-back again), but it takes minutes. Set `appendonly yes` for production."
    )


def prod_emulator_command(settings: Settings, client_secret: str) -> list[str]:
    return emulator_command(
        client_secret,
        port=settings.emulator_port,
        http_port=settings.emulator_http_port,
        ca_file=settings.run_dir / "prod-m365-emulator-ca.pem",
        state_file=settings.run_dir / "prod-m365-emulator-state.pickle",
    )


def stack_environment(settings: Settings, emulator: dict[str, str]) -> dict[str, str]:
    """Production settings, with the emulator as Microsoft and plain HTTP on loopback (no TLS proxy here)."""
    run_dir = settings.run_dir
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": kept_secret("prod-django-secret-key", secrets.token_urlsafe(50), run_dir),
        "TOKEN_ENCRYPTION_KEY": kept_secret("prod-token-encryption-key", Fernet.generate_key().decode(), run_dir),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Browsers keep Secure cookies for http://localhost; a real deployment keeps the redirect to HTTPS.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "PORT": str(settings.port),
        "GUNICORN_BIND": f"127.0.0.1:{settings.port}",
        "DJANGO_STATIC_ROOT": os.environ.get("DJANGO_STATIC_ROOT", str(run_dir / "prod-static")),
        "CELERY_BEAT_SCHEDULE_FILE": str(run_dir / "prod-celerybeat-schedule"),
        # One machine, no mail relay: invitations and password resets are printed to the log, never sent. A real
        # deployment sets EMAIL_HOST; `check --deploy` refuses this backend.
        "EMAIL_BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
        **microsoft_environment(emulator),
    }


def start(command: str | list[str], env: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen[str]:
    """A process in its own session, so that Ctrl-C reaches this runner only and it stops them in order."""
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else command
    process: subprocess.Popen[str]
    process = subprocess.Popen(argv, cwd=ROOT, env=env, text=True, start_new_session=True, **kwargs)  # type: ignore[call-overload]
    return process


def release(commands: dict[str, str], env: dict[str, str], **output: object) -> None:
    """The Procfile's release line (migrations), then the demo's people (idempotent); `output` as for `start`."""
    for step in (commands["release"], "python manage.py seed_demo"):
        if start(step, env, **output).wait() != 0:
            raise SystemExit(f"`{step}` failed (see above).")


def wait_until_healthy(url: str, running: dict[str, subprocess.Popen[str]], timeout: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in running.items():
            if process.poll() is not None:
                raise SystemExit(f"The {name} process stopped with status {process.returncode} (see above).")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f}s.")


def stop(
    running: dict[str, subprocess.Popen[str]],
    emulator: subprocess.Popen[str] | None,
    redis_process: subprocess.Popen[str] | None = None,
) -> None:
    """SIGTERM in order (gunicorn and Celery then finish what they have in hand; Redis, last, writes its file);
    SIGKILL after STOP_SECONDS."""
    groups: list[list[subprocess.Popen[str]]] = [[running[n] for n in names if n in running] for names in STOP_ORDER]
    groups.append([emulator] if emulator is not None else [])
    groups.append([redis_process] if redis_process is not None else [])
    for group in groups:
        for process in group:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in group:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                process.wait()


def _signal(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it stopped already
        os.killpg(process.pid, signum)


def banner(settings: Settings, emulator: dict[str, str]) -> str:
    logins = "\n".join(f"    {role:<7} {email}" for role, email in DEMO_LOGINS)
    return (
        f"\n  Overlap (production settings: gunicorn, a Celery worker and beat) at http://localhost:{settings.port}/\n"
        f"  Health: http://localhost:{settings.port}/healthz\n\n"
        f"  Demo logins (password: overlap-demo):\n{logins}\n\n"
        f"  PostgreSQL: {_without_password(settings.database_url)}   Redis: {_without_password(settings.redis_url)}\n"
        f"  Microsoft 365 emulator: {emulator['base_url']} (sign-in pages at {emulator['browser_url']})\n\n"
        "  Press Ctrl-C to stop.\n"
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return url


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    settings = Settings.from_environment()
    commands = procfile()
    ensure_database(settings.database_url)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    client_secret = kept_secret("prod-emulator-client-secret", secrets.token_urlsafe(32), settings.run_dir)
    emulator_process = start(prod_emulator_command(settings, client_secret), stdout=subprocess.PIPE)
    running: dict[str, subprocess.Popen[str]] = {}
    own_redis = None
    try:
        if not settings.redis_url:
            own_redis, settings.redis_url = start_redis(settings.run_dir, settings.redis_port)
        elif warning := redis_persistence_warning(settings.redis_url):
            print(warning, file=sys.stderr, flush=True)
        emulator = read_announcement(emulator_process.stdout)
        env = stack_environment(settings, emulator)
        release(commands, env)
        running.update({name: start(commands[name], env) for name in SERVICES})
        wait_until_healthy(f"http://127.0.0.1:{settings.port}/healthz", running)
        print(banner(settings, emulator), flush=True)
        while all(process.poll() is None for process in running.values()):
            time.sleep(0.5)
        stopped = next(name for name, process in running.items() if process.poll() is not None)
        print(f"The {stopped} process stopped; stopping the rest.", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("\nStopping: web, then beat and the worker, then the emulator and Redis…", file=sys.stderr, flush=True)
    finally:
        stop(running, emulator_process, own_redis)


if __name__ == "__main__":
    main()
