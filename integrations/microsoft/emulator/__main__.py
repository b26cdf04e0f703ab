from __future__ import annotations

from integrations.microsoft.emulator.cli import main

main()
