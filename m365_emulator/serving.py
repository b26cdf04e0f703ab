"""Serving the emulator: an HTTPS server with a throwaway CA, and a plain-HTTP twin for a person's browser."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from m365_emulator.fixtures import DEMO_CLIENT_ID, DEMO_DOMAIN, DEMO_TENANT_ID
from m365_emulator.persist import KeptWorld, load
from m365_emulator.server import Emulator


class _Handler(WSGIRequestHandler):
    # Keep-alive lets a client reuse one TLS connection for many calls (getSchedule at team scale).
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: the emulator keeps its own request log (GET /_emulator/log)."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """A request dropped (Microsoft set unreachable, server.Unreachable) or a client gone: the connection
        closes, so that a keep-alive caller is not left waiting for an answer that never comes."""
        self.close_connection = True


@dataclass
class RunningEmulator:
    """Both servers, started in daemon threads; `stop()` shuts them down."""

    emulator: Emulator
    https: BaseWSGIServer
    http: BaseWSGIServer
    ca_file: str
    threads: list[threading.Thread]
    kept: KeptWorld | None = None  # set with a state file: the world is saved after every change

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def browser_url(self) -> str:
        return self.emulator.browser_url

    def announcement(self) -> dict[str, Any]:
        """The JSON line printed at start."""
        return {
            "base_url": self.base_url,
            "browser_url": self.browser_url,
            "ca_file": self.ca_file,
            "tenant_id": DEMO_TENANT_ID,
            "tenant_domain": DEMO_DOMAIN,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": self.emulator.client_secret,
        }

    def stop(self) -> None:
        for server in (self.https, self.http):
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=5)
        if self.kept is not None:
            self.kept.save()


def start(
    *,
    ca_out: str,
    host: str = "127.0.0.1",
    port: int = 0,
    browser_port: int = 0,
    fixture: str = "demo",
    seed: int = 1,
    client_secret: str | None = None,
    state_file: str | None = None,
) -> RunningEmulator:
    """Make a CA and a server certificate, write the CA (PEM) to `ca_out`, and serve in background threads.

    Port 0 picks a free port. The HTTPS server serves everything; the HTTP twin serves the same routes so
    that sign-in and consent pages open in a browser without a certificate warning. With `state_file`, the
    world kept there (if any) replaces the fixture's, and every change is saved back (see persist.py).
    """
    emulator = Emulator(fixture=fixture, seed=seed, client_secret=client_secret)
    kept = _kept_world(emulator, state_file, client_secret)
    app: Any = kept or emulator
    context = _tls_context(host, ca_out)
    https = make_server(host, port, app, threaded=True, ssl_context=context, request_handler=_Handler)
    http = make_server(host, browser_port, app, threaded=True, request_handler=_Handler)
    emulator.base_url = f"https://{host}:{https.server_port}"
    emulator.browser_url = f"http://{host}:{http.server_port}"
    threads = [
        threading.Thread(target=s.serve_forever, name=f"m365-emulator-{s.server_port}", daemon=True)
        for s in (https, http)
    ]
    for thread in threads:
        thread.start()
    return RunningEmulator(emulator, https, http, ca_out, threads, kept)


def _kept_world(emulator: Emulator, state_file: str | None, client_secret: str | None) -> KeptWorld | None:
    if not state_file:
        return None
    path = Path(state_file)
    load(emulator, path, client_secret=client_secret)
    kept = KeptWorld(emulator, path)
    kept.save()  # the file exists from the start, even before the first change
    return kept


def _tls_context(host: str, ca_out: str) -> ssl.SSLContext:
    authority = trustme.CA(organization_name="Overlap M365 emulator")
    certificate = authority.issue_cert(host, "localhost", "127.0.0.1")
    authority.cert_pem.write_to_path(ca_out)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    return context
