"""`python manage.py m365_emulator --port PORT --ca-out FILE [--fixture NAME] [--seed N]`.

Serves the Microsoft 365 emulator; see `integrations.microsoft.emulator.cli`.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from integrations.microsoft.emulator import cli


class Command(BaseCommand):
    help = "Serve the Microsoft 365 emulator (Entra ID + Graph) on loopback; prints one JSON line, then serves."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli.serve(argparse.Namespace(**options), out=self.stdout)  # type: ignore[arg-type]
