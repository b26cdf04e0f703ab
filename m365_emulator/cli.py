"""`python -m m365_emulator --port PORT --ca-out FILE [--fixture NAME] [--seed N] [--state-file PATH]`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import TextIO

from m365_emulator.fixtures import FIXTURES
from m365_emulator.serving import start


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (0 picks a free one)")
    parser.add_argument(
        "--browser-port", "--http-port", dest="browser_port", type=int, default=0, help="plain-HTTP port for pages"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ca-out", default=None, help="where to write the CA certificate (PEM)")
    parser.add_argument("--fixture", default="demo", choices=sorted(FIXTURES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--client-secret", default=None, help="the demo app's secret (default: a random one)")
    parser.add_argument(
        "--state-file",
        default=None,
        help="keep the world here: loaded at start if present, saved after every change and on shutdown",
    )


def serve(options: argparse.Namespace, out: TextIO = sys.stdout) -> None:
    """Start, print the JSON line, and serve until SIGINT or SIGTERM."""
    ca_out = options.ca_out or _temp_file()
    running = start(
        ca_out=ca_out,
        host=options.host,
        port=options.port,
        browser_port=options.browser_port,
        fixture=options.fixture,
        seed=options.seed,
        client_secret=options.client_secret,
        state_file=options.state_file,
    )
    out.write(json.dumps(running.announcement()) + "\n")
    out.flush()
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    running.stop()


def _temp_file() -> str:
    handle, name = tempfile.mkstemp(prefix="m365-emulator-ca-", suffix=".pem")
    os.close(handle)
    return name


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m m365_emulator", description=__doc__)
    add_arguments(parser)
    serve(parser.parse_args(argv))
