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


def _imported_modules(path: Path) -> set[str]:
    """Every module named by an absolute import, in full (`bot.sources.fetch`, `httpx`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


# The analysis is offline and deterministic (bot/analysis/README.md): no store, no network.
ANALYSIS_FORBIDDEN = ("store", "httpx", "sqlalchemy", "sqlmodel", "socket", "urllib.request")


def test_analysis_imports_neither_the_store_nor_the_network() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            m
            for m in _imported_modules(p)
            if any(m == f or m.startswith(f + ".") for f in ANALYSIS_FORBIDDEN)
        )
        for p in (ROOT / "bot" / "analysis").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_analysis_imports_nothing_else_of_the_bot_but_its_vocabulary() -> None:
    allowed = ("bot.analysis", "bot.vocab")
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            m
            for m in _imported_modules(p)
            if m.startswith("bot") and not any(m == a or m.startswith(a + ".") for a in allowed)
        )
        for p in (ROOT / "bot" / "analysis").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_serve_command_wires_the_handlers() -> None:
    """`handlers` is imported by `bot/cli/serve.py` alone (the demo and tests go through it)."""
    importers = sorted(
        str(p.relative_to(ROOT))
        for p in _sources("bot")
        if any(m == "handlers" or m.startswith("handlers.") for m in _imported_modules(p))
    )
    assert importers == sorted(HANDLER_WIRING_ALLOWED)


def test_no_module_is_over_700_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for package in ("bot", "handlers", "store")
        for p in _sources(package)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700
    }
    assert long == {}
