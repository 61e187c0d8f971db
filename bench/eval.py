"""Evaluate tagging and clustering on a labelled set (the format of `shared/eval/`).

    .venv/bin/python bench/eval.py PATH [--show-errors]

Runs the real pipeline: every item of PATH/items.jsonl becomes a `RawEntry` and goes through
`bot.developments.ingest.ingest_entries` into a temporary SQLite store, in id order, with one `Source` per
`source_name` (`primary` from `source_kind`) and `now` = the item's published date, so backfill
hides nothing. Tags and clusters are then read back from the store and scored:
jurisdiction and topic micro-F1 (an item with no topic counts as `[other]`), pairwise
clustering precision/recall/F1, importance accuracy (reported apart), and a confusion table
per class. Figures are given for all items and for the set's two parts (`split_parts`): rules
are tuned on p001-p070 only, p101-p140 measure how they carry over. Government sources get the
`jurisdictions` an operator would configure (`source_jurisdictions`). `--show-errors` prints
each wrong tag with the evidence and rules that decided it, and each wrong merge or split.
Clustering is measured again with the set's
developments moved close together in time (`densified`: 60 and 14 days instead of years), as
in a busy season: the set itself is sparse, so few unrelated items ever fall in one clustering
window. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.eval_qa import qa_section  # noqa: E402
from bench.eval_store import (  # noqa: E402
    PRIMARY_KINDS,
    load_items,
    run_pipeline,
)
from bot.analysis.importance import ItemSignal, item_importance  # noqa: E402
from store.models import Item  # noqa: E402

# Sections other parts add (e.g. QA recall from bench/eval_qa.py): each gets the data folder,
# the engine of the filled store and the gold items, prints its own table and returns figures
# that are merged into the final JSON line under its name.
ExtraSection = Callable[[Path, Any, list[dict[str, Any]]], dict[str, Any]]
EXTRA_SECTIONS: dict[str, ExtraSection] = {}

# QA: recall@3 and abstention on qa.jsonl, through the real answer engine.
EXTRA_SECTIONS["qa"] = qa_section


def micro_f1(gold: list[set[str]], pred: list[set[str]]) -> dict[str, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "p": round(precision, 4),
        "r": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def per_class(gold: list[set[str]], pred: list[set[str]]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {}
    for g, p in zip(gold, pred, strict=True):
        for label in g | p:
            row = table.setdefault(label, Counter())
            if label in g and label in p:
                row["tp"] += 1
            elif label in p:
                row["fp"] += 1
            else:
                row["fn"] += 1
    return {k: dict(v) for k, v in sorted(table.items())}


def pairwise(gold: list[str], pred: list[int | None]) -> dict[str, float]:
    gold_pairs = set()
    pred_pairs = set()
    for (i, gi), (j, gj) in itertools.combinations(enumerate(gold), 2):
        if gi == gj:
            gold_pairs.add((i, j))
        if pred[i] is not None and pred[i] == pred[j]:
            pred_pairs.add((i, j))
    both = len(gold_pairs & pred_pairs)
    precision = both / len(pred_pairs) if pred_pairs else 1.0
    recall = both / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "p": round(precision, 4),
        "r": round(recall, 4),
        "f1": round(f1, 4),
        "gold_pairs": len(gold_pairs),
        "pred_pairs": len(pred_pairs),
    }


# Spans (days) into which `densified` moves the set's developments: how clustering holds up
# when unrelated developments of one domain are published days apart, as in a busy season,
# rather than months apart as in the set.
DENSE_SPANS = (60, 14)


def densified(items: list[dict[str, Any]], span_days: float) -> list[dict[str, Any]]:
    """The items with each development's first report moved into `span_days` (developments
    evenly spread, in their order), each later report kept at its distance from the first."""
    first: dict[str, datetime] = {}
    for item in sorted(items, key=lambda i: i["published"]):
        first.setdefault(item["development"], datetime.fromisoformat(item["published"]))
    order = {slug: k for k, slug in enumerate(sorted(first, key=lambda d: first[d]))}
    base = datetime(2026, 1, 1)
    out = []
    for item in items:
        slug = item["development"]
        start = base + timedelta(days=span_days * order[slug] / len(order))
        moved = start + (datetime.fromisoformat(item["published"]) - first[slug])
        out.append({**item, "published": moved.date().isoformat()})
    return out


def dense_clustering(
    items: list[dict[str, Any]], tmp: Path
) -> dict[str, dict[str, dict[str, float]]]:
    """Pairwise clustering figures of the whole set made dense (`DENSE_SPANS`), for all items
    and for each part (`split_parts`): every part is scored among all the set's developments."""
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for span in DENSE_SPANS:
        dense = densified(items, span)
        engine, stored = run_pipeline(dense, f"sqlite:///{tmp / f'dense{span}.db'}")
        engine.dispose()
        for part, members in {"all": dense, **split_parts(dense)}.items():
            figures.setdefault(part, {})[f"{span}_days"] = pairwise(
                [i["development"] for i in members],
                [stored[i["id"]].development_id for i in members],
            )
    return figures


def split_parts(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The set's two parts (its README): rules are tuned on p001-p070 only; p101-p140 were
    written apart from them and measure how the rules carry over to text never seen."""
    number = {i["id"]: int(i["id"].lstrip("p") or 0) for i in items}
    return {
        "tuning_p001_p070": [i for i in items if number[i["id"]] <= 100],
        "new_p101_p140": [i for i in items if number[i["id"]] > 100],
    }


def score(items: list[dict[str, Any]], stored: dict[str, Item]) -> dict[str, Any]:
    gold_j = [set(i["jurisdictions"]) for i in items]
    pred_j = [set(stored[i["id"]].jurisdictions) for i in items]
    gold_t = [set(i["topics"]) for i in items]
    pred_t = [set(stored[i["id"]].topics) or {"other"} for i in items]
    clusters = pairwise(
        [i["development"] for i in items], [stored[i["id"]].development_id for i in items]
    )
    correct_importance = 0
    for i in items:
        row = stored[i["id"]]
        level, _ = item_importance(
            ItemSignal(
                title=row.title,
                text=row.text,
                doc_type=row.doc_type,
                primary=i["source_kind"] in PRIMARY_KINDS,
                source_id=row.source_id,
                relevant=bool(row.topics),
            )
        )
        if not row.topics:
            level = "low"
        correct_importance += level == i["importance"]
    return {
        "items": len(items),
        "jurisdiction": micro_f1(gold_j, pred_j),
        "topic": micro_f1(gold_t, pred_t),
        "clustering": clusters,
        "importance_accuracy": round(correct_importance / len(items), 4) if items else 0.0,
        "jurisdiction_classes": per_class(gold_j, pred_j),
        "topic_classes": per_class(gold_t, pred_t),
    }


def _print_table(name: str, figures: dict[str, Any]) -> None:
    j, t, c = figures["jurisdiction"], figures["topic"], figures["clustering"]
    print(f"\n== {name} ({figures['items']} items)")
    print(f"{'metric':<24}{'P':>8}{'R':>8}{'F1':>8}")
    print(f"{'jurisdiction micro':<24}{j['p']:>8.3f}{j['r']:>8.3f}{j['f1']:>8.3f}")
    print(f"{'topic micro':<24}{t['p']:>8.3f}{t['r']:>8.3f}{t['f1']:>8.3f}")
    print(f"{'clustering pairwise':<24}{c['p']:>8.3f}{c['r']:>8.3f}{c['f1']:>8.3f}")
    print(f"importance accuracy (per item, reported apart): {figures['importance_accuracy']:.3f}")


def _print_confusion(figures: dict[str, Any]) -> None:
    for kind in ("jurisdiction_classes", "topic_classes"):
        print(f"\n{kind.replace('_', ' ')}: {'class':<16}{'TP':>5}{'FP':>5}{'FN':>5}")
        for label, row in figures[kind].items():
            print(
                f"{'':<22}{label:<16}{row.get('tp', 0):>5}{row.get('fp', 0):>5}{row.get('fn', 0):>5}"
            )


def _signals(block: dict[str, Any]) -> str:
    """One line of a label's evidence: its score and the signals (term, where, role, weight)."""
    parts = [
        f"{s.get('term')}@{s.get('where')}/{s.get('role', s.get('kind', ''))}={s.get('score', '')}"
        for s in (block.get("signals") or block.get("terms") or [])[:6]
    ]
    return f"score {block.get('score')}: " + ", ".join(parts)


def _print_errors(items: list[dict[str, Any]], stored: dict[str, Item]) -> None:
    """Each wrong tag with the evidence and the rules that decided it; each wrong merge and
    split with why the items joined."""
    print("\nerrors (tags: + predicted, not gold; - gold, not predicted):")
    for item in items:
        row = stored[item["id"]]
        pj, pt = set(row.jurisdictions), set(row.topics) or {"other"}
        gj, gt = set(item["jurisdictions"]), set(item["topics"])
        if pj == gj and pt == gt:
            continue
        print(f"  {item['id']} [{item['source_kind']}] {item['title'][:80]}")
        evidence = row.evidence or {}
        for kind, gold, pred in (("jurisdictions", gj, pj), ("topics", gt, pt)):
            for label in sorted(pred - gold):
                block = evidence.get(kind, {}).get(label, {})
                print(f"      +{label}  {_signals(block)}")
            for label in sorted(gold - pred):
                block = evidence.get(kind, {}).get(label, {})
                print(f"      -{label}  {_signals(block) if block else 'no evidence'}")
        for rule in evidence.get("rules", [])[:8]:
            print(f"      rule: {rule}")
    gold_of = {i["id"]: i["development"] for i in items}
    by_dev: dict[int | None, list[str]] = {}
    for item in items:
        by_dev.setdefault(stored[item["id"]].development_id, []).append(item["id"])
    for members in by_dev.values():
        if len({gold_of[m] for m in members}) > 1:
            print(f"  merged wrongly: {members} -> {[gold_of[m] for m in members]}")
            for m in members:
                why = (stored[m].evidence or {}).get("clustering")
                if why:
                    print(f"      {m} joined: {why.get('why')}")
    gold_groups: dict[str, list[str]] = {}
    for item in items:
        gold_groups.setdefault(item["development"], []).append(item["id"])
    for slug, members in gold_groups.items():
        devs = [stored[m].development_id for m in members]
        if len(set(devs)) > 1:
            tags = [
                f"{m}:{sorted(stored[m].jurisdictions)}{sorted(stored[m].topics)}" for m in members
            ]
            print(f"  split: {slug} {devs} {' '.join(tags)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="folder with items.jsonl (like shared/eval)")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    items = load_items(args.path)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        engine, stored = run_pipeline(items, f"sqlite:///{Path(tmp) / 'eval.db'}")
        seconds = time.perf_counter() - started
        results: dict[str, Any] = {"all": score(items, stored)}
        for part, members in split_parts(items).items():
            results[part] = score(members, stored)
        for name, figures in results.items():
            _print_table(name, figures)
        _print_confusion(results["all"])
        if args.show_errors:
            _print_errors(items, stored)
        print(f"\npipeline: {len(items)} items ingested in {seconds:.2f} s")
        dense = dense_clustering(items, Path(tmp))
        print("\nclustering with the developments published closer together (see `densified`)")
        print(f"{'part':<20}{'span':<12}{'P':>8}{'R':>8}{'F1':>8}")
        for part, spans in dense.items():
            for span, f in spans.items():
                print(f"{part:<20}{span:<12}{f['p']:>8.3f}{f['r']:>8.3f}{f['f1']:>8.3f}")
        summary: dict[str, Any] = {
            "jurisdiction_f1": results["all"]["jurisdiction"]["f1"],
            "topic_f1": results["all"]["topic"]["f1"],
            "clustering_f1": results["all"]["clustering"]["f1"],
            "clustering_p": results["all"]["clustering"]["p"],
            "clustering_r": results["all"]["clustering"]["r"],
            "importance_accuracy": results["all"]["importance_accuracy"],
            **{
                part: {
                    **{k: results[part][k]["f1"] for k in ("jurisdiction", "topic", "clustering")},
                    "dense_clustering": {span: f["f1"] for span, f in dense[part].items()},
                }
                for part in split_parts(items)
            },
            "items": len(items),
            "ingest_seconds": round(seconds, 3),
            "dense_clustering": {span: f["f1"] for span, f in dense["all"].items()},
        }
        # --- Extra sections (QA and others) go here: see EXTRA_SECTIONS above. -------------
        for name, section in EXTRA_SECTIONS.items():
            summary[name] = section(args.path, engine, items)
        engine.dispose()
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
