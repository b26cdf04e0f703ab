"""`make run` does the periodic work too: the demo's Celery beat, with no broker, runs the read-back itself, so a
decline made in Outlook shows on the booking by itself. The beat here is the demo's own command and environment,
with the round shortened by its setting (READ_BACK_ROUND_SECONDS) so that the test waits seconds."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from booking.models import Booking, Participant
from config import rundemo
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, book, copies, form, free_slot, world_in
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID

SHORT = {"READ_BACK_ROUND_SECONDS": "2", "READ_BACK_SOON_SECONDS": "2", "READ_BACK_LATER_SECONDS": "2"}


def demo_environment(emulator: EmulatorProcess) -> dict[str, str]:
    """What `make run` gives beat, pointed at this test's database file and emulator, with the round shortened."""
    announced = {name: str(getattr(emulator, name)) for name in ("base_url", "browser_url", "ca_file")}
    announced |= {"client_id": emulator.client_id, "client_secret": emulator.client_secret}
    environment = rundemo.web_environment(announced, settings.TOKEN_ENCRYPTION_KEYS[0])
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": this_runs_database_url(),
        "TOKEN_ENCRYPTION_KEY": settings.TOKEN_ENCRYPTION_KEYS[0],
    }
    environment.pop("REDIS_URL", None)  # the demo has no broker: beat runs the jobs in its own process
    return rundemo.periodic_environment({**environment, **SHORT})


def this_runs_database_url() -> str:
    """This test run's database (SQLite's file, or PostgreSQL's test database on the PostgreSQL/Redis pass)."""
    database = settings.DATABASES["default"]
    if str(database["ENGINE"]).endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    who = f"{quote(str(database['USER']))}:{quote(str(database.get('PASSWORD') or ''))}"
    return f"postgres://{who}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"


@contextmanager
def demo_beat(tmp_path: Path, emulator: EmulatorProcess) -> Iterator[subprocess.Popen[bytes]]:
    """The demo's beat as `make run` starts it, stopped with SIGINT (as Ctrl-C) when the block ends."""
    with (tmp_path / "beat.log").open("wb") as log:
        beat = subprocess.Popen(
            rundemo.beat_command(tmp_path), cwd=rundemo.ROOT, env=demo_environment(emulator), stdout=log, stderr=log
        )
        try:
            yield beat
        finally:
            beat.send_signal(signal.SIGINT)
            try:
                beat.wait(timeout=15)
            except subprocess.TimeoutExpired:
                beat.kill()
                beat.wait()


def answered(participant: Participant, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while participant.response == Participant.Response.NONE and time.monotonic() < deadline:
        time.sleep(0.5)
        participant.refresh_from_db()
    return participant.response


def test_a_decline_made_in_outlook_shows_on_the_booking_by_itself_within_a_minute(
    org: Org, emulator_settings: EmulatorProcess, threads_share_the_database: None, tmp_path: Path
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    book(world.client(world.megan), world.org, form(start, required=[world.adele]))
    booking = Booking.objects.get()
    assert booking.state == Booking.State.CONFIRMED
    (adeles,) = copies(emulator_settings, ADELE, booking.ical_uid)
    path = f"/tenants/{CONTOSO_ID}/mailboxes/{ADELE}/events/{adeles['id']}/respond"
    emulator_settings.control("POST", path, {"response": "declined"})
    adele = booking.participants.get(membership=world.adele)
    began = time.monotonic()

    with demo_beat(tmp_path, emulator_settings):
        response = answered(adele, timeout=60)

    assert response == Participant.Response.DECLINED, (tmp_path / "beat.log").read_text()[-3000:]
    assert time.monotonic() - began < 60
    assert booking.history.filter(kind="declined", detail="Adele Vance").count() == 1
