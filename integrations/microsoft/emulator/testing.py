"""Running the emulator from tests: `EmulatorProcess` starts one (in a thread or a subprocess) and talks to it.

emulator = EmulatorProcess.start_thread()          # or EmulatorProcess.start_subprocess()
emulator.control("POST", "/tenants/contoso.onmicrosoft.com/consent", {"client_id": ..., "granted": True})
emulator.log(since=0)
emulator.stop()
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import requests

from integrations.microsoft.emulator.serving import RunningEmulator, start


class ControlFailed(Exception):
    pass


@dataclass
class EmulatorProcess:
    base_url: str
    browser_url: str
    ca_file: str
    tenant_id: str
    tenant_domain: str
    client_id: str
    client_secret: str
    _running: RunningEmulator | None = None
    _process: subprocess.Popen[str] | None = None
    _session: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def start_thread(cls, *, fixture: str = "demo", seed: int = 1, client_secret: str | None = None) -> EmulatorProcess:
        """In this process, on free ports; the quickest start, and the state is reachable for debugging."""
        running = start(ca_out=_temp_ca(), fixture=fixture, seed=seed, client_secret=client_secret)
        return cls._from(running.announcement(), running=running)

    @classmethod
    def start_subprocess(
        cls, *, fixture: str = "demo", seed: int = 1, client_secret: str | None = None
    ) -> EmulatorProcess:
        """`python -m integrations.microsoft.emulator` on free ports, as the demo runs it."""
        command = [sys.executable, "-m", "integrations.microsoft.emulator", "--port", "0", "--ca-out", _temp_ca()]
        command += ["--fixture", fixture, "--seed", str(seed)]
        if client_secret:
            command += ["--client-secret", client_secret]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            process.kill()
            raise RuntimeError("The emulator did not start; see its stderr.")
        return cls._from(json.loads(line), process=process)

    @classmethod
    def _from(
        cls,
        info: dict[str, Any],
        *,
        running: RunningEmulator | None = None,
        process: subprocess.Popen[str] | None = None,
    ) -> EmulatorProcess:
        made = cls(
            base_url=str(info["base_url"]),
            browser_url=str(info["browser_url"]),
            ca_file=str(info["ca_file"]),
            tenant_id=str(info["tenant_id"]),
            tenant_domain=str(info["tenant_domain"]),
            client_id=str(info["client_id"]),
            client_secret=str(info["client_secret"]),
            _running=running,
            _process=process,
        )
        made._session.trust_env = False  # REQUESTS_CA_BUNDLE must never override the emulator's CA
        made._session.verify = made.ca_file
        return made

    def stop(self) -> None:
        self._session.close()
        if self._running is not None:
            self._running.stop()
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        if os.path.exists(self.ca_file):
            os.unlink(self.ca_file)

    def control(self, method: str, path: str, json: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call `/_emulator{path}`; a non-2xx answer raises ControlFailed with the emulator's message."""
        response = self._session.request(method, f"{self.base_url}/_emulator{path}", json=json, timeout=30)
        if not response.ok:
            raise ControlFailed(f"{method} {path}: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body

    def reset(self, *, fixture: str | None = None, seed: int | None = None) -> dict[str, Any]:
        body = {key: value for key, value in (("fixture", fixture), ("seed", seed)) if value is not None}
        return self.control("POST", "/reset", body)

    def log(self, since: int = 0) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.control("GET", f"/log?since={since}")["entries"]
        return entries

    def last_seq(self) -> int:
        return int(self.control("GET", "/log?since=999999999")["last_seq"])

    def grant_admin_consent(self, tenant: str | None = None, *, granted: bool = True) -> None:
        body = {"client_id": self.client_id, "granted": granted}
        self.control("POST", f"/tenants/{tenant or self.tenant_id}/consent", body)

    def user_id(self, address: str, tenant: str | None = None) -> str:
        wanted = address.lower()
        for found in self.control("GET", "/tenants")["tenants"]:
            if tenant is None or tenant in (found["id"], *found["domains"]):
                for user in found["users"]:
                    if wanted in (user["id"], user["userPrincipalName"].lower(), user["mail"].lower()):
                        return str(user["id"])
        raise KeyError(address)

    def new_session(self) -> requests.Session:
        """A fresh session that trusts only the emulator's CA, whatever REQUESTS_CA_BUNDLE says (for MSAL)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        return session

    @property
    def session(self) -> requests.Session:
        """A requests session that trusts only the emulator's CA (for tests that call it directly)."""
        return self._session


def _temp_ca() -> str:
    handle, name = tempfile.mkstemp(prefix="m365-emulator-ca-", suffix=".pem")
    os.close(handle)
    return name
