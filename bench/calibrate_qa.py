"""Calibrate the answer engine's abstention thresholds on the tuning questions only.

Usage: python bench/calibrate_qa.py EVAL_DIR

Builds the store once (as `bench/eval.py` does), then asks every question of EVAL_DIR/qa.jsonl
with each pair of thresholds on a grid: `MIN_COVERAGE` (the idf-weighted share of everything
asked that a development covers) and `MIN_CONTENT_COVERAGE` (the same share of the content
words alone). The pair chosen is the one with the best balanced score on the tuning part
(q* questions: recall@3 plus abstention on unanswerable ones, the middle of the best plateau); the
held-out part (pq* questions) is printed beside it for every pair but never decides.
The naive baseline is the engine that never abstains (both thresholds 0).

Prints a table, then as the last line one JSON object.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.eval_qa import ask_all, summarise_rows  # noqa: E402
from bench.eval_store import load_items, run_pipeline  # noqa: E402
from bot.answers import scoring  # noqa: E402
from bot.config import Settings  # noqa: E402
from store.db import session_factory  # noqa: E402

GRID_COVERAGE = (0.0, 0.4, 0.45, 0.5, 0.55, 0.6)
GRID_CONTENT = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5)


def balanced(fig: dict[str, Any]) -> float:
    return float(fig["recall_at_3"] or 0.0) + float(fig["abstain_rate"] or 0.0)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0])
    items = load_items(path)
    lines = (path / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/calibrate.db"
        engine, _ = run_pipeline(items, url)
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        sessions = session_factory(engine)
        saved = (scoring.MIN_COVERAGE, scoring.MIN_CONTENT_COVERAGE)
        try:
            for cov, content in itertools.product(GRID_COVERAGE, GRID_CONTENT):
                scoring.MIN_COVERAGE = cov
                scoring.MIN_CONTENT_COVERAGE = content
                result = summarise_rows(ask_all(sessions, items, questions, settings))
                rows_out.append(
                    {
                        "coverage": cov,
                        "content": content,
                        "q": result["tuning_q"],
                        "pq": result["held_out_pq"],
                    }
                )
        finally:
            scoring.MIN_COVERAGE, scoring.MIN_CONTENT_COVERAGE = saved
        engine.dispose()
    # Among the pairs with the best tuning score, the middle one: away from the plateau's edges.
    top = max(balanced(r["q"]) for r in rows_out)
    plateau = [r for r in rows_out if balanced(r["q"]) == top]
    best = plateau[len(plateau) // 2]
    naive = next(r for r in rows_out if r["coverage"] == 0.0 and r["content"] == 0.0)
    print(
        f"{'coverage':>9}{'content':>9}  {'q recall':>9}{'q abst':>8}  {'pq recall':>10}{'pq abst':>8}"
    )
    for r in rows_out:
        mark = "  <- chosen on q" if r is best else ""
        print(
            f"{r['coverage']:>9}{r['content']:>9}  {r['q']['recall_at_3']!s:>9}"
            f"{r['q']['abstain_rate']!s:>8}  {r['pq']['recall_at_3']!s:>10}"
            f"{r['pq']['abstain_rate']!s:>8}{mark}"
        )
    print(f"engine now: coverage {saved[0]}, content {saved[1]}")
    print(json.dumps({"chosen": best, "naive_never_abstains": naive, "engine": list(saved)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
