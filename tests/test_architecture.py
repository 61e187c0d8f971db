"""Dependencies point one way: handlers -> bot -> store."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The CLI's `serve` is the one place that wires handlers into the app; the demo and the
# test-facing app builder may do the same through it.
HANDLER_WIRING_ALLOWED = {"bot/cli/serve.py"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "versions" not in p.parts)


def test_store_imports_neither_bot_nor_handlers() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources("store")
        if _imported_packages(p) & {"bot", "handlers"}
    ]
    assert offenders == []


def test_bot_does_not_import_handlers_except_serve() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources("bot")
        if "handlers" in _imported_packages(p)
        and str(p.relative_to(ROOT)) not in HANDLER_WIRING_ALLOWED
    ]
    assert offenders == []
