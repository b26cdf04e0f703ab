"""Starting the emulator as the demo does: `python -m m365_emulator` prints one JSON line, then serves."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import sys
from pathlib import Path

import requests


def test_python_dash_m_prints_its_urls_and_serves_over_https(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    command = [
        sys.executable,
        "-m",
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


def test_python_dash_m_starts_it_too_and_stopping_removes_the_ca_file() -> None:
    from m365_emulator.testing import EmulatorProcess

    running = EmulatorProcess.start_subprocess(fixture="minimal", seed=3)
    try:
        assert running.control("GET", "/health") == {"ok": True, "fixture": "minimal", "seed": 3}
    finally:
        running.stop()
    assert not Path(running.ca_file).exists()


def test_the_emulator_imports_nothing_from_overlap() -> None:
    package = Path(__file__).resolve().parents[2] / "m365_emulator"
    outside = []
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 20
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            outside += [f"{module.name}: {n}" for n in names if _is_overlap(n)]
    assert outside == []


def _is_overlap(name: str) -> bool:
    top = name.split(".")[0]
    return top in {"accounts", "booking", "config", "integrations", "tests", "django", "allauth", "celery", "msal"}
