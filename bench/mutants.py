"""Mutation testing of the exactly-once and security core: are its promises pinned by tests?

Usage: python bench/mutants.py [--module PATH ...] [--only NAME ...] [--full] [--list]

Each mutant in `bench/mutant_catalogue.py` is a small, realistic bug (a dropped condition, a
compare-and-set without its guard, a check done on the wrong thing) in one of the modules that
carry exactly-once delivery, claims and leases, request verification and the SSRF guard. For
each one, in a scratch copy of the checkout (the working tree is never touched):

1. the mutant's original text is replaced by the bug (it must occur exactly once; a catalogue
   entry whose text no longer occurs is reported `stale`, to be updated);
2. pytest runs (`-x`, first failure stops it) on the tests of the mutated module's package,
   or on the whole suite with `--full`; with POLICYBOT_TEST_DATABASE_URL set (it is passed
   through) the tests run on that PostgreSQL database instead of SQLite files;
3. a failing run means the mutant is `killed`; a passing run means it `survived`: a bug the
   tests would let through.

Mutants judged equivalent (no observable behaviour differs) are listed with the reason and left
out of the rate. Baseline in the same run: the unmutated copy must pass the same tests, or the
figures mean nothing. It is a bench, not part of CI's run (about 10-20 s per mutant).

Prints a table and, as the last line, one JSON object: kill rate per module and overall.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.mutant_catalogue import CATALOGUE, TESTS_FOR, Mutant  # noqa: E402

COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | equivalent | stale | error
    seconds: float
    detail: str = ""


def run_tests(copy: Path, tests: list[str]) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    proc = subprocess.run(command, cwd=copy, capture_output=True, text=True, env=os.environ.copy())
    lines = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    return proc.returncode, lines[-1] if lines else proc.stderr.strip()[-200:]


def tests_for(mutant: Mutant, *, full: bool) -> list[str]:
    if full:
        return ["tests"]
    return list(mutant.tests or TESTS_FOR[mutant.path])


def try_mutant(copy: Path, mutant: Mutant, *, full: bool) -> Outcome:
    if mutant.equivalent:
        return Outcome(mutant, "equivalent", 0.0, mutant.equivalent)
    target = copy / mutant.path
    original = target.read_text(encoding="utf-8")
    if original.count(mutant.original) != 1:
        return Outcome(mutant, "stale", 0.0, "original text not found exactly once")
    started = time.perf_counter()
    target.write_text(original.replace(mutant.original, mutant.mutated), encoding="utf-8")
    try:
        code, last = run_tests(copy, tests_for(mutant, full=full))
    finally:
        target.write_text(original, encoding="utf-8")
    seconds = time.perf_counter() - started
    if code == 0:
        return Outcome(mutant, "survived", seconds, last)
    if code in (1, 2):  # failures, or the mutant broke collection (an import error)
        return Outcome(mutant, "killed", seconds, last)
    return Outcome(mutant, "error", seconds, f"pytest exit {code}: {last}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--module", action="append", default=[], help="only mutants of PATH")
    parser.add_argument("--only", action="append", default=[], help="only the mutant NAME")
    parser.add_argument("--full", action="store_true", help="run the whole suite per mutant")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    chosen = [
        m
        for m in CATALOGUE
        if (not args.module or m.path in args.module) and (not args.only or m.name in args.only)
    ]
    if args.list:
        for m in chosen:
            print(f"{m.path:32} {m.name:40} {m.bug}")
        return 0
    if not chosen:
        print("no mutant matches", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="policybot-mutants-") as scratch:
        copy = Path(scratch) / "checkout"
        shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
        baseline_tests = sorted({t for m in chosen for t in tests_for(m, full=args.full)})
        code, last = run_tests(copy, baseline_tests)
        if code != 0:
            print(f"baseline: the unmutated tests fail ({last}); fix that first", file=sys.stderr)
            return 1
        print(f"baseline: {last}", flush=True)
        outcomes = []
        for mutant in chosen:
            outcome = try_mutant(copy, mutant, full=args.full)
            outcomes.append(outcome)
            print(
                f"  {outcome.status:10} {mutant.path}::{mutant.name} ({outcome.seconds:.1f} s)",
                flush=True,
            )
    return report(outcomes)


def report(outcomes: list[Outcome]) -> int:
    per_module: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        per_module[o.mutant.path][o.status] += 1
    print()
    print(f"{'module':34} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} {'rate':>6}")
    figures: dict[str, dict[str, float | int]] = {}
    for path, counts in sorted(per_module.items()):
        counted = counts["killed"] + counts["survived"]
        rate = counts["killed"] / counted if counted else 1.0
        total = sum(counts.values())
        figures[path] = {
            "mutants": total,
            "killed": counts["killed"],
            "survived": counts["survived"],
            "equivalent": counts["equivalent"],
            "stale": counts["stale"],
            "error": counts["error"],
            "kill_rate": round(rate, 3),
        }
        print(
            f"{path:34} {total:7} {counts['killed']:7} {counts['survived']:8}"
            f" {counts['equivalent']:6} {rate:6.0%}"
        )
    killed = sum(1 for o in outcomes if o.status == "killed")
    counted = sum(1 for o in outcomes if o.status in ("killed", "survived"))
    overall = killed / counted if counted else 1.0
    print(f"{'all':34} {len(outcomes):7} {killed:7} {counted - killed:8} {'':6} {overall:6.0%}")
    for status in ("survived", "equivalent", "stale", "error"):
        for o in outcomes:
            if o.status == status:
                print(f"{status}: {o.mutant.path}::{o.mutant.name}: {o.mutant.bug} ({o.detail})")
    summary = {
        "mutants": len(outcomes),
        "killed": killed,
        "survived": counted - killed,
        "equivalent": sum(1 for o in outcomes if o.status == "equivalent"),
        "stale": sum(1 for o in outcomes if o.status == "stale"),
        "error": sum(1 for o in outcomes if o.status == "error"),
        "kill_rate": round(overall, 3),
        "survivors": [o.mutant.name for o in outcomes if o.status == "survived"],
        "modules": figures,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
