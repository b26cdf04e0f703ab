"""`make run`: start the Microsoft 365 emulator, the web app and Celery beat, point them at one another, stop all
on Ctrl-C.

There is no broker in the demo: tasks run in-process (eager), so beat runs each periodic job (read-back, the
sweep, connection checks, the directory sync) inside its own process, against the same SQLite file and emulator.
Its intervals are shortened (`DEMO_PERIODIC`) so that what a person does in Outlook, a decline or a move, shows
on Overlap's pages within a minute, and a revoked consent within two.

Secrets that must outlive a restart (the token encryption key, the demo app's client secret) are made once
and kept in `.run/`, which git ignores, with the emulator's world (`.run/m365-emulator-state.pickle`), so a
second `make run` keeps everything the first one made, at Overlap and at "Microsoft".
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
WEB = "127.0.0.1:8000"
EMULATOR_PORT = int(os.environ.get("OVERLAP_EMULATOR_PORT", "8443"))
EMULATOR_HTTP_PORT = int(os.environ.get("OVERLAP_EMULATOR_HTTP_PORT", "8444"))
DEMO_LOGINS = [
    ("admin", "adele.vance@contoso.onmicrosoft.com"),
    ("member", "megan.bowen@contoso.onmicrosoft.com"),
    ("member", "alex.wilber@contoso.onmicrosoft.com"),
]


def kept_secret(name: str, make: str, run_dir: Path = RUN_DIR) -> str:
    """A value made on the first run and read back on every later one (mode 600)."""
    path = run_dir / name
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


EMULATOR_STATE = RUN_DIR / "m365-emulator-state.pickle"


def emulator_command(
    client_secret: str,
    *,
    port: int = EMULATOR_PORT,
    http_port: int = EMULATOR_HTTP_PORT,
    ca_file: Path = RUN_DIR / "m365-emulator-ca.pem",
    state_file: Path = EMULATOR_STATE,
) -> list[str]:
    """`python -m m365_emulator` on the demo's ports (or others), with a kept secret and a kept world."""
    return [
        sys.executable,
        "-m",
        "m365_emulator",
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--ca-out",
        str(ca_file),
        # One argument: a secret that starts with "-" (token_urlsafe makes one in 64) is no option to argparse.
        f"--client-secret={client_secret}",
        # Consents, refresh tokens, people and events outlive a restart, as they do at Microsoft.
        "--state-file",
        str(state_file),
    ]


def start_emulator(client_secret: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(emulator_command(client_secret), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, read_announcement(process.stdout)


def read_announcement(stream: IO[str] | None) -> dict[str, str]:
    """The emulator prints one JSON line when it is ready."""
    if stream is None:
        raise SystemExit("The Microsoft 365 emulator did not start.")
    line = stream.readline()
    if not line:
        raise SystemExit("The Microsoft 365 emulator stopped before it was ready (see the lines above).")
    return dict(json.loads(line))


def web_environment(emulator: dict[str, str], token_key: str) -> dict[str, str]:
    return {
        **os.environ,
        **microsoft_environment(emulator),
        "TOKEN_ENCRYPTION_KEY": os.environ.get("TOKEN_ENCRYPTION_KEY", token_key),
    }


def microsoft_environment(emulator: dict[str, str]) -> dict[str, str]:
    """The MICROSOFT_* settings that point Overlap at the emulator, from its announcement line."""
    return {
        "MICROSOFT_LOGIN_URL": emulator["base_url"],
        "MICROSOFT_LOGIN_BROWSER_URL": emulator["browser_url"],
        "MICROSOFT_GRAPH_URL": emulator["base_url"],
        "MICROSOFT_CA_BUNDLE": emulator["ca_file"],
        "MICROSOFT_CLIENT_ID": emulator["client_id"],
        "MICROSOFT_CLIENT_SECRET": emulator["client_secret"],
    }


DEMO_PERIODIC = {
    "READ_BACK_ROUND_SECONDS": "15",
    "READ_BACK_SOON_SECONDS": "15",
    "READ_BACK_LATER_SECONDS": "15",
    "CONNECTION_CHECK_MINUTES": "1",
    "DIRECTORY_SYNC_MINUTES": "5",
}


def periodic_environment(environment: dict[str, str]) -> dict[str, str]:
    """The demo's short intervals under what the person running it set themselves."""
    return {**DEMO_PERIODIC, **environment}


def beat_command(run_dir: Path = RUN_DIR) -> list[str]:
    """Celery beat with its schedule file kept in `.run/`; without REDIS_URL it runs the jobs itself."""
    schedule = run_dir / "demo-celerybeat-schedule"
    return [sys.executable, "-m", "celery", "--app", "config.celery_app", "beat", "--schedule", str(schedule)]


def banner(emulator: dict[str, str]) -> str:
    logins = "\n".join(f"    {role:<7} {email}" for role, email in DEMO_LOGINS)
    return (
        f"\n  Overlap is running at http://{WEB}/\n\n"
        f"  Demo logins (password: overlap-demo):\n{logins}\n\n"
        f"  Microsoft 365 emulator: {emulator['base_url']} (sign-in pages at {emulator['browser_url']})\n"
        f"  Demo tenant: {emulator['tenant_domain']} ({emulator['tenant_id']})\n"
        f"  Microsoft's side is kept in {EMULATOR_STATE.relative_to(ROOT)} (delete it to start that afresh).\n\n"
        "  Periodic work (read-back, the sweep, connection checks, directory sync) runs in Celery beat, in-process.\n"
        "  Press Ctrl-C to stop.\n"
    )


def main() -> None:
    token_key = kept_secret("token-encryption-key", Fernet.generate_key().decode())
    client_secret = kept_secret("emulator-client-secret", secrets.token_urlsafe(32))
    emulator_process, emulator = start_emulator(client_secret)
    environment = periodic_environment(web_environment(emulator, token_key))
    web = subprocess.Popen([sys.executable, "manage.py", "runserver", WEB, "--noreload"], cwd=ROOT, env=environment)
    beat = subprocess.Popen(beat_command(), cwd=ROOT, env=environment)
    print(banner(emulator), flush=True)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (web, beat, emulator_process):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (web, beat, emulator_process):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
