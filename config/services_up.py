"""Exit 0 when every service URL given on the command line accepts a TCP connection (used by the Makefile)."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlparse


def answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(0 if all(answers(url) for url in sys.argv[1:]) else 1)
