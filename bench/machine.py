"""Which machine the figures come from: one line, printed first by `make bench`.

python -m bench.machine
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "memory unknown"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:  # not Linux: the line says less, and nothing fails
        return ""


def describe() -> str:
    """Cores, CPU model, memory, the load average now, the OS and Python: what the figures depend on."""
    load = " ".join(_read("/proc/loadavg").split()[:3]) or "unknown"
    cores = os.cpu_count() or 0
    return (
        f"machine: {cores} cores ({_cpu_model()}), {_memory_gib()}, load average {load}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    print(describe())
