from __future__ import annotations

from m365_emulator.cli import main

main()
