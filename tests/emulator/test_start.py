"""Starting the emulator as the demo does: the management command prints one JSON line, then serves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import requests


def test_the_management_command_prints_its_urls_and_serves_over_https(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    command = [
        sys.executable,
        "manage.py",
        "m365_emulator",
        "--port",
        "0",
        "--ca-out",
        str(ca_file),
        "--fixture",
        "minimal",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        info = json.loads(process.stdout.readline() if process.stdout else "")
        assert info["base_url"].startswith("https://127.0.0.1:")
        assert info["browser_url"].startswith("http://127.0.0.1:")
        assert info["tenant_id"] == "a1b2c3d4-0000-4000-8000-00000000c0de"
        assert info["tenant_domain"] == "contoso.onmicrosoft.com"
        assert info["client_id"] == "11111111-2222-4333-8444-555555555555"
        assert info["client_secret"]
        assert info["ca_file"] == str(ca_file)
        session = requests.Session()
        session.trust_env = False
        health = session.get(f"{info['base_url']}/_emulator/health", verify=str(ca_file), timeout=10)
        assert health.json()["fixture"] == "minimal"
        page = session.get(f"{info['browser_url']}/_emulator/health", timeout=10)
        assert page.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
