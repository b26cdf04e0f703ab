"""The README's layout names every package and only folders that exist, so it cannot go stale."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Django finds these by name; they belong to the app around them.
DJANGO_PLUMBING = {"migrations", "management", "templatetags"}
PRODUCT_AND_TOOLS = ("config", "accounts", "localtime", "integrations", "booking", "m365_emulator", "bench")
NOT_PYTHON = ("tests", "templates", "static")


def _named_folders(root: Path) -> set[str]:
    """The folder each entry of the Layout list starts with: "- `booking/engine/` the availability engine…"."""
    section = (root / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return {name.rstrip("/") for name in re.findall(r"^- `([\w/]+/)`", section, re.MULTILINE)}


def _packages(root: Path) -> set[str]:
    found = {
        init.parent.relative_to(root).as_posix()
        for top in PRODUCT_AND_TOOLS
        for init in (root / top).rglob("__init__.py")
        if not DJANGO_PLUMBING & set(init.parent.relative_to(root).parts)
    }
    return found | {folder for folder in NOT_PYTHON if (root / folder).is_dir()}


def _unnamed(root: Path) -> list[str]:
    return sorted(_packages(root) - _named_folders(root))


def _named_but_missing(root: Path) -> list[str]:
    return sorted(folder for folder in _named_folders(root) if not (root / folder).is_dir())


def test_every_folder_the_layout_names_exists() -> None:
    assert _named_folders(ROOT), "the README's Layout section lists no folder"
    assert _named_but_missing(ROOT) == []


def test_every_package_is_named_in_the_layout() -> None:
    assert _unnamed(ROOT) == []


def test_a_new_package_without_a_line_and_a_line_for_a_moved_one_are_both_caught(tmp_path: Path) -> None:
    for package in ("booking", "booking/recurring", "booking/migrations", "accounts"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    layout = "- `booking/` meetings.\n- `accounts/` people.\n- `integrations/signin/` moved away.\n"
    (tmp_path / "README.md").write_text(f"# Overlap\n\n## Layout\n\n{layout}\n## After\n\n- `later/` not the layout.\n")

    assert _unnamed(tmp_path) == ["booking/recurring"]
    assert _named_but_missing(tmp_path) == ["integrations/signin"]


def test_every_package_of_the_integration_says_what_it_owns() -> None:
    silent = sorted(
        init.parent.relative_to(ROOT).as_posix()
        for init in (ROOT / "integrations").rglob("__init__.py")
        if not DJANGO_PLUMBING & set(init.parent.parts) and not ast.get_docstring(ast.parse(init.read_text()))
    )
    assert silent == []
