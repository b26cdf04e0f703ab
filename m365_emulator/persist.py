"""The world kept on disk (`python -m m365_emulator --state-file PATH`), so that a restarted demo works as before.

Kept: tenants (people, groups, consents, service principals, calendars and their events), app registrations,
refresh tokens, the signing key (access tokens issued before a restart still pass Graph) and the token epoch.
Not kept: sign-ins in progress, authorization codes, browser sessions, throttling, latency and the request log.

The file is written after every request that may change the world (anything but GET, HEAD and OPTIONS) and on
shutdown: a pickle written to a temporary file in the same folder, then renamed over the old one, so a crash
leaves the old world or the new one, never half of each. A request never runs while a snapshot is taken (a
readers-writer gate: requests share it, a snapshot holds it alone), so the snapshot is consistent although the
server is threaded. A file that cannot be read, or that an emulator with other data classes wrote, is set aside
as PATH.unreadable and the fixture's world starts instead, with a line on stderr saying so.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from m365_emulator import calendar, state
from m365_emulator.fixtures import DEMO_CLIENT_ID
from m365_emulator.tokens import Signer

if TYPE_CHECKING:
    from m365_emulator.server import Emulator

FORMAT = 1
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
# Read-only POSTs (Graph's query actions): no need to write the world after them.
_READ_ONLY_POSTS = ("/getschedule", "/findmeetingtimes", "/checkmembergroups", "/getmembergroups", "/getmemberobjects")


class Gate:
    """A readers-writer lock that lets a waiting writer in before new readers (so a snapshot never starves)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writing and not self._waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._waiting += 1
            self._condition.wait_for(lambda: not self._writing and not self._readers)
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


class KeptWorld:
    """The emulator as a WSGI app whose world is saved to `path` after every change."""

    def __init__(self, emulator: Emulator, path: Path) -> None:
        self.emulator, self.path = emulator, path
        self.gate = Gate()
        self._save_lock = threading.Lock()
        self._last_digest = b""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.gate.shared():
            result = self.emulator(environ, start_response)
        if may_change(str(environ.get("REQUEST_METHOD", "")), str(environ.get("PATH_INFO", ""))):
            self.save()
        return result

    def save(self) -> None:
        """Snapshot the world while no request runs, then write it atomically unless nothing changed."""
        with self._save_lock:
            with self.gate.exclusive():
                data = snapshot(self.emulator)
            digest = hashlib.sha256(data).digest()
            if digest != self._last_digest:
                write_atomically(self.path, data)
                self._last_digest = digest


def may_change(method: str, path: str) -> bool:
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method.upper() == "POST" and path.lower().rstrip("/").endswith(_READ_ONLY_POSTS))


# -- writing -------------------------------------------------------------------------------------------


def snapshot(emulator: Emulator) -> bytes:
    with emulator.state.lock:
        payload = {
            "format": FORMAT,
            "shape": shape_fingerprint(),
            "tenants": emulator.state.tenants,
            "apps": emulator.state.apps,
            "refresh_grants": emulator.state.refresh_grants,
            "key": _private_pem(emulator.signer.key),
            "kid": emulator.signer.kid,
            "epoch": emulator.epoch,
            "fixture": emulator.fixture,
            "seed": emulator.seed,
        }
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(payload)
    return buffer.getvalue()


class _Pickler(pickle.Pickler):
    # Locks inside the world (the calendar store's) come back as fresh, unlocked locks.
    dispatch_table = {**copyreg.dispatch_table, **{kind: lambda lock: (type(lock), ()) for kind in _LOCK_TYPES}}


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # it holds the app's secret, refresh tokens and the signing key
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def shape_fingerprint() -> str:
    """The data classes' field names: a file written by an emulator with other fields is not loaded."""
    names: list[str] = []
    for module in (state, calendar):
        for name, value in sorted(vars(module).items()):
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                names.append(name + ":" + ",".join(f.name for f in dataclasses.fields(value)))
    names.append("CalendarStore:" + ",".join(sorted(vars(calendar.CalendarStore()))))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


# -- reading -------------------------------------------------------------------------------------------


def load(emulator: Emulator, path: Path, *, client_secret: str | None) -> bool:
    """Put the world kept in `path` into the emulator; False (the fixture's world stays) if there is none."""
    if not path.exists():
        return False
    payload = _read(path)
    if payload is None:
        return False
    with emulator.state.lock:
        emulator.state.tenants = payload["tenants"]
        emulator.state.apps = payload["apps"]
        emulator.state.refresh_grants = payload["refresh_grants"]
        emulator.epoch, emulator.fixture, emulator.seed = payload["epoch"], payload["fixture"], payload["seed"]
        emulator.signer = _signer(payload["key"], payload["kid"])
        _keep_secret(emulator, client_secret)
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as file:
            payload = pickle.load(file)  # noqa: S301  (our own file, written by this program, mode 0600)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError("an unknown format")
        if payload.get("shape") != shape_fingerprint():
            raise ValueError("another version of the emulator wrote it")
    except Exception as error:  # any unreadable file: keep it aside and start from the fixture
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        notice = f"m365_emulator: {path} could not be loaded ({error}); kept as {aside}, starting afresh."
        print(notice, file=sys.stderr)
        return None
    return payload


def _signer(pem: bytes, kid: str) -> Signer:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("The kept signing key is not an RSA key.")
    return Signer(key=key, kid=kid)


def _keep_secret(emulator: Emulator, client_secret: str | None) -> None:
    """A secret given on the command line wins (the demo keeps its own); otherwise the kept one stays."""
    app = emulator.state.apps.get(DEMO_CLIENT_ID)
    if app is None:
        return
    if client_secret:
        app.client_secret = client_secret
    emulator.client_secret = app.client_secret
