"""Set the jurisdiction decision's two thresholds on the tuning part of a labelled set.

    .venv/bin/python bench/fit_jurisdictions.py PATH

Classifies every item of PATH/items.jsonl (the format of `shared/eval/`) with the bundled
taxonomy, a government source getting the jurisdictions an operator would configure
(`bench.eval_store.source_jurisdictions`), for each pair of `thresholds.jurisdiction` (the
minimum score) and `thresholds.jurisdiction_ratio` (the share of the strongest government's
score) on a small grid. The pair with the best jurisdiction micro-F1 on p001-p070 is chosen
(ties: the one nearest the middle of the tied range); p101-p140 show how it carries over.
Printed beside: the taxonomy's own values, and a naive baseline that tags every government
named in the item. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.eval import micro_f1, split_parts  # noqa: E402
from bench.eval_store import PRIMARY_KINDS, load_items, source_jurisdictions  # noqa: E402
from bot.analysis.classify import classify  # noqa: E402
from bot.analysis.taxonomy import Taxonomy, load_taxonomy  # noqa: E402

MINIMUMS = (1.5, 2.0, 2.5, 3.0)
RATIOS = (0.2, 0.25, 0.3, 0.34, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def tags(items: list[dict[str, Any]], taxonomy: Taxonomy) -> dict[str, set[str]]:
    out = {}
    for item in items:
        hints = (
            source_jurisdictions(item["source_name"])
            if item["source_kind"] in PRIMARY_KINDS
            else []
        )
        result = classify(item["title"], item["text"], taxonomy=taxonomy, hint_jurisdictions=hints)
        out[item["id"]] = set(result.jurisdictions)
    return out


def named(items: list[dict[str, Any]], taxonomy: Taxonomy) -> dict[str, set[str]]:
    """The naive baseline: every jurisdiction the title or text names."""
    return {
        i["id"]: {m.term.label for m in taxonomy.find(f"{i['title']}\n{i['text']}", "jurisdiction")}
        for i in items
    }


def f1(parts: dict[str, list[dict[str, Any]]], predicted: dict[str, set[str]]) -> dict[str, float]:
    return {
        part: micro_f1(
            [set(i["jurisdictions"]) for i in members], [predicted[i["id"]] for i in members]
        )["f1"]
        for part, members in parts.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    items = load_items(args.path)
    parts = split_parts(items)
    tune, test = "tuning_p001_p070", "new_p101_p140"
    base = load_taxonomy()
    grid: dict[tuple[float, float], dict[str, float]] = {}
    for minimum in MINIMUMS:
        for ratio in RATIOS:
            taxonomy = copy.copy(base)
            taxonomy.thresholds = {
                **base.thresholds,
                "jurisdiction": minimum,
                "jurisdiction_ratio": ratio,
            }
            grid[(minimum, ratio)] = f1(parts, tags(items, taxonomy))
    best_score = max(v[tune] for v in grid.values())
    tied = [k for k, v in grid.items() if v[tune] == best_score]
    by_minimum: dict[float, list[float]] = {}
    for minimum, ratio in tied:
        by_minimum.setdefault(minimum, []).append(ratio)
    # The minimum with the widest tied range of ratios, and the middle of that range.
    minimum = max(by_minimum, key=lambda m: (len(by_minimum[m]), -abs(m - 2.0)))
    ratios = sorted(by_minimum[minimum])
    chosen = (minimum, ratios[len(ratios) // 2])
    configured = (
        base.thresholds.get("jurisdiction", 2.0),
        base.thresholds.get("jurisdiction_ratio", 0.5),
    )
    own = f1(parts, tags(items, base))
    naive = f1(parts, named(items, base))

    print(f"{'minimum':>8}{'ratio':>7}{'p001-p070':>11}{'p101-p140':>11}")
    for (m, r), scores in sorted(grid.items()):
        mark = " <- chosen" if (m, r) == chosen else ""
        print(f"{m:>8.2f}{r:>7.2f}{scores[tune]:>11.3f}{scores[test]:>11.3f}{mark}")
    print()
    print(f"{'model':<34}{'p001-p070':>11}{'p101-p140':>11}")
    print(f"{'naive: every government named':<34}{naive[tune]:>11.3f}{naive[test]:>11.3f}")
    label = f"taxonomy {configured[0]} / {configured[1]}"
    print(f"{label:<34}{own[tune]:>11.3f}{own[test]:>11.3f}")
    label = f"fit on p001-p070 {chosen[0]} / {chosen[1]}"
    print(f"{label:<34}{grid[chosen][tune]:>11.3f}{grid[chosen][test]:>11.3f}")
    print(
        json.dumps(
            {
                "chosen": {"jurisdiction": chosen[0], "jurisdiction_ratio": chosen[1]},
                "tied_ratios": ratios,
                "fit": grid[chosen],
                "taxonomy": own,
                "naive": naive,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
