"""Running the emulator from tests: `EmulatorProcess` starts one (in a thread or a subprocess) and talks to it.

emulator = EmulatorProcess.start_thread()          # or EmulatorProcess.start_subprocess()
emulator.control("POST", "/tenants/contoso.onmicrosoft.com/consent", {"client_id": ..., "granted": True})
emulator.log(since=0)
emulator.add_crowd(100_000, seed=1)                 # a large organization, built in seconds
emulator.stop()
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from m365_emulator.serving import RunningEmulator, start


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
    def start_thread(
        cls, *, fixture: str = "demo", seed: int = 1, client_secret: str | None = None, state_file: str | None = None
    ) -> EmulatorProcess:
        """In this process, on free ports; the quickest start, and the state is reachable for debugging."""
        running = start(
            ca_out=_temp_ca(), fixture=fixture, seed=seed, client_secret=client_secret, state_file=state_file
        )
        return cls._from(running.announcement(), running=running)

    @classmethod
    def start_subprocess(
        cls, *, fixture: str = "demo", seed: int = 1, client_secret: str | None = None, state_file: str | None = None
    ) -> EmulatorProcess:
        """`python -m m365_emulator` on free ports, as the demo runs it (with `state_file`, a kept world)."""
        command = [sys.executable, "-m", "m365_emulator", "--port", "0", "--ca-out", _temp_ca()]
        command += ["--fixture", fixture, "--seed", str(seed)]
        if client_secret:
            command += [f"--client-secret={client_secret}"]
        if state_file:
            command += ["--state-file", state_file]
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

    def set_group_membership_claims(self, value: str | None, client_id: str | None = None) -> str:
        """Set the app registration's groupMembershipClaims ("DirectoryRole", "All", "None"...); the value kept."""
        path = f"/apps/{client_id or self.client_id}/group-membership-claims"
        return str(self.control("POST", path, {"value": value})["groupMembershipClaims"])

    def update_user(self, address: str, tenant: str | None = None, **fields: Any) -> dict[str, Any]:
        """Patch a person (e.g. `mail=...`, `directoryRoles=[...]`, `accountEnabled=False`); the person as listed."""
        body = {"user": address, **fields}
        user: dict[str, Any] = self.control("POST", f"/tenants/{tenant or self.tenant_id}/users", body)["user"]
        return user

    def recreate_user(self, address: str, tenant: str | None = None, **fields: Any) -> dict[str, Any]:
        """Delete a person and make them again with the same address and a new object id; the new person."""
        path = f"/tenants/{tenant or self.tenant_id}/users/{address}/recreate"
        user: dict[str, Any] = self.control("POST", path, fields)["user"]
        return user

    def clear(self, address: str, start: datetime, end: datetime, tenant: str | None = None) -> int:
        """Plant free time: remove from the mailbox every event (whole series included) that touches [start, end)."""
        body = {"start": start.isoformat(), "end": end.isoformat()}
        path = f"/tenants/{tenant or self.tenant_id}/mailboxes/{address}/clear"
        return int(self.control("POST", path, body)["removed"])

    def user_id(self, address: str, tenant: str | None = None) -> str:
        wanted = address.lower()
        for found in self.control("GET", "/tenants")["tenants"]:
            if tenant is None or tenant in (found["id"], *found["domains"]):
                for user in found["users"]:
                    if wanted in (user["id"], user["userPrincipalName"].lower(), user["mail"].lower()):
                        return str(user["id"])
        raise KeyError(address)

    def add_crowd(self, count: int, *, seed: int = 1, tenant: str | None = None) -> dict[str, Any]:
        """Add `count` generated people to the tenant (Contoso by default): several time zones, some disabled,
        some guests, nested groups, sparse calendars; the same for the same seed. See control.py."""
        return self.control("POST", f"/tenants/{tenant or self.tenant_id}/crowd", {"count": count, "seed": seed})

    def change_crowd(
        self, count: int, *, seed: int = 1, kinds: list[str] | None = None, tenant: str | None = None
    ) -> dict[str, list[str]]:
        """`count` changes among the crowd (renames, disables, enables, soft deletes, additions) for
        `/users/delta`; the userPrincipalNames touched, by kind."""
        body: dict[str, Any] = {"count": count, "seed": seed, **({"kinds": kinds} if kinds else {})}
        done = self.control("POST", f"/tenants/{tenant or self.tenant_id}/crowd/changes", body)
        return {key: list(value) for key, value in done.items() if key != "ok"}

    def expire_delta_tokens(self, tenant: str | None = None) -> None:
        """Every `/users/delta` link issued so far is refused (400 syncStateNotFound), as after 7 days."""
        self.control("POST", f"/tenants/{tenant or self.tenant_id}/delta-tokens/expire")

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


@dataclass
class Landing:
    """Where a browser ends up after the emulator's pages: the app's redirect URI and what it carried."""

    url: str | None  # the redirect URI the browser went to (None: it stayed on an emulator page)
    params: dict[str, str]  # the query (or fragment, or form_post fields) sent to it
    page: str = ""  # the last emulator page's HTML
    status: int = 200


class Browser:
    """A cookie-keeping HTTP client that clicks through the emulator's sign-in and consent pages."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.session = emulator.new_session()

    def sign_in(self, url: str, user: str | None = None, *, decision: str | None = "accept") -> Landing:
        """Open `url`; pick `user` on a sign-in page; answer a consent page with `decision` (None: stop there)."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _ in range(8):
            landing = self._step(response, user, decision)
            if isinstance(landing, Landing):
                return landing
            response = landing
        raise RuntimeError("Too many steps through the emulator's pages.")

    def _step(self, response: requests.Response, user: str | None, decision: str | None) -> Landing | requests.Response:
        if response.status_code in (301, 302, 303):
            location = response.headers["Location"]
            if location.startswith((self.emulator.browser_url, self.emulator.base_url)):
                return self.session.get(location, allow_redirects=False, timeout=10)
            return Landing(location, _params(location), status=response.status_code)
        text = response.text
        if "id='respond'" in text:
            return Landing(_attribute(text, "form", "action"), _hidden_fields(text), text)
        flow = _flow_id(text)
        if flow and "name='pick'" in text and user and "role='alert'" not in text:
            return self._post(text, "login", {"flow": flow, "login": user, "action": "next"})
        if flow and "name='decision'" in text and decision:
            return self._post(text, "consent", {"flow": flow, "decision": decision})
        return Landing(None, {}, text, response.status_code)

    def _post(self, text: str, action: str, data: dict[str, str]) -> requests.Response:
        path = next(a for a in re.findall(r"action='([^']+)'", text) if a.endswith("/" + action))
        return self.session.post(self.emulator.browser_url + html.unescape(path), data=data, allow_redirects=False)


def _params(location: str) -> dict[str, str]:
    parsed = urlparse(location)
    raw = parsed.fragment if parsed.fragment and not parsed.query else parsed.query
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def _flow_id(text: str) -> str | None:
    match = re.search(r"name='flow' value='([^']+)'", text)
    return html.unescape(match.group(1)) if match else None


def _attribute(text: str, tag: str, name: str) -> str:
    match = re.search(rf"<{tag}[^>]*\s{name}='([^']*)'", text)
    return html.unescape(match.group(1)) if match else ""


def _hidden_fields(text: str) -> dict[str, str]:
    pairs = re.findall(r"<input type='hidden' name='([^']*)' value='([^']*)'>", text)
    return {html.unescape(k): html.unescape(v) for k, v in pairs}
