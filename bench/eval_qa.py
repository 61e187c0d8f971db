"""Question-answering evaluation: recall@3 on answerable questions, abstention on the rest.

Usage: python bench/eval_qa.py EVAL_DIR [--database-url URL]

Builds a fresh store from EVAL_DIR/items.jsonl through `bot.developments.ingest.ingest_entries`
(`bench/eval_store.py`, the store `bench/eval.py` scores too), then asks every question of EVAL_DIR/qa.jsonl through
the real answer engine (`bot.answers.engine.answer_question`) with `asked_at` (or the day after the
newest item) as now. A hit is any of the top 3 cited developments containing an item of an
expected development. Questions are also scored in two halves (odd and even ids) so a rule that
only fits some questions shows up as a gap between them.

Prints a table, then as the last line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bench.eval_store import run_pipeline  # noqa: E402
from bot.answers.engine import answer_question, rank_candidates  # noqa: E402
from bot.answers.query import parse_question  # noqa: E402
from bot.answers.scoring import qualifies, term_weights  # noqa: E402
from bot.config import Settings  # noqa: E402
from store.db import session_factory, session_scope  # noqa: E402
from store.models import Item  # noqa: E402
from store.search import count_developments  # noqa: E402


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _published(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _asked_at(q: dict[str, Any], default_now: datetime) -> datetime:
    if q["asked_at"]:
        return datetime.fromisoformat(q["asked_at"].replace("Z", "+00:00"))
    return default_now


def ask_all(
    sessions: Any,
    items: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    settings: Settings,
    *,
    explain_misses: bool = False,
) -> list[dict[str, Any]]:
    """Every question through the real engine; one row per question with hit/abstained."""
    slug_of_guid = {item["id"]: item["development"] for item in items}
    default_now = max(_published(i["published"]) for i in items) + timedelta(days=1)
    rows = []
    with session_scope(sessions) as session:
        dev_slugs: dict[int, set[str]] = {}
        for item in session.exec(select(Item)).all():
            if item.development_id is not None and item.guid in slug_of_guid:
                dev_slugs.setdefault(item.development_id, set()).add(slug_of_guid[item.guid])
        for q in questions:
            now = _asked_at(q, default_now)
            answer = answer_question(session, question=q["question"], now=now, settings=settings)
            got = [dev_slugs.get(d.id, set()) for d in answer.developments[:3]]
            flat = set().union(*got) if got else set()
            hit = bool(flat & set(q["expect_developments"]))
            wrong = not hit if q["answerable"] else answer.found
            why = explain(session, q, now, settings, dev_slugs) if wrong and explain_misses else []
            rows.append(
                {
                    "explain": why,
                    "id": q["id"],
                    "answerable": q["answerable"],
                    "abstained": not answer.found,
                    "hit": hit,
                    "got": [sorted(s) for s in got],
                    "question": q["question"],
                }
            )
    return rows


def explain(
    session: Any, q: dict[str, Any], now: datetime, settings: Settings, slugs: dict[int, set[str]]
) -> list[str]:
    """How the engine understood a question and its best candidates, qualifying or not."""
    parsed = parse_question(q["question"], now=now, tz=settings.tz)
    total = count_developments(session)
    weights = ", ".join(
        f"{t.text}{'*' if t.key else ''}={w:.2f}/df{df}"
        for t, w, df in term_weights(session, parsed, total)
    )
    lines = [f"  understood: {parsed.describe()}", f"  weights: {weights}"]
    ranked, _total = rank_candidates(session, parsed, now=now, qualifying_only=False)
    for c in ranked[:6]:
        slug = ",".join(sorted(slugs.get(c.dev.id or 0, set()))) or "?"
        mark = "+" if set(slugs.get(c.dev.id or 0, set())) & set(q["expect_developments"]) else " "
        ok = "qualifies" if qualifies(c, parsed) else "rejected"
        lines.append(
            f"  {mark} {c.score:.3f} cov={c.coverage:.2f} content={c.content_coverage:.2f} "
            f"rel={c.relevance:.2f} names={c.names_covered} topic={c.on_topic} "
            f"place={c.names_asked_place} {ok} {c.dev.jurisdictions} {slug}"
        )
    return lines


def _figures(subset: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in subset if r["answerable"]]
    un = [r for r in subset if not r["answerable"]]
    return {
        "recall_at_3": round(sum(r["hit"] for r in ans) / len(ans), 3) if ans else None,
        "abstain_rate": round(sum(r["abstained"] for r in un) / len(un), 3) if un else None,
        "false_abstain_rate": (
            round(sum(r["abstained"] for r in ans) / len(ans), 3) if ans else None
        ),
        "answerable": len(ans),
        "unanswerable": len(un),
    }


def summarise_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    odd = [r for r in rows if int(re.sub(r"\D", "", r["id"]) or 0) % 2 == 1]
    even = [r for r in rows if int(re.sub(r"\D", "", r["id"]) or 0) % 2 == 0]
    # The set's two parts: q* questions (mostly on items p001-p070, tuned on) and pq*
    # questions (added with items p101-p140, written apart: measured on, never tuned on).
    tuning = [r for r in rows if not r["id"].startswith("pq")]
    held_out = [r for r in rows if r["id"].startswith("pq")]
    return {
        **_figures(rows),
        "odd_ids": _figures(odd),
        "even_ids": _figures(even),
        "tuning_q": _figures(tuning),
        "held_out_pq": _figures(held_out),
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"{'QA split':<10}{'recall@3':>10}{'abstain':>10}{'false-abstain':>15}")
    for name, fig in (
        ("all", result),
        ("odd ids", result["odd_ids"]),
        ("even ids", result["even_ids"]),
        ("q (tune)", result["tuning_q"]),
        ("pq (test)", result["held_out_pq"]),
    ):
        print(
            f"{name:<10}{fig['recall_at_3']!s:>10}{fig['abstain_rate']!s:>10}"
            f"{fig['false_abstain_rate']!s:>15}"
        )


def qa_section(path: Path, engine: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    """For `bench/eval.py`'s EXTRA_SECTIONS: score qa.jsonl on the store it has just filled."""
    qa_path = Path(path) / "qa.jsonl"
    if not qa_path.exists():
        return {}
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        _env_file=None,  # type: ignore[call-arg]
    )
    rows = ask_all(session_factory(engine), items, _read_jsonl(qa_path), settings)
    result = summarise_rows(rows)
    print()
    print_table(result)
    return result


def score_qa(
    eval_dir: Path | str, *, database_url: str | None = None, explain_misses: bool = False
) -> dict[str, Any]:
    """Build a store from EVAL_DIR/items.jsonl, ask EVAL_DIR/qa.jsonl, return the figures."""
    eval_dir = Path(eval_dir)
    items = _read_jsonl(eval_dir / "items.jsonl")
    questions = _read_jsonl(eval_dir / "qa.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/eval.db"
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        # The analysis part's store (bench/eval_store.py), so both evaluations see one store.
        engine, _stored = run_pipeline(items, url)
        sessions = session_factory(engine)
        mode = "bench/eval_store.py run_pipeline (bot.developments.ingest)"
        rows = ask_all(sessions, items, questions, settings, explain_misses=explain_misses)
        engine.dispose()
    return {"store": mode, **summarise_rows(rows), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--verbose", action="store_true", help="print every question")
    parser.add_argument(
        "--show-errors",
        action="store_true",
        help="print each miss with the query understanding and the best candidates",
    )
    args = parser.parse_args(argv)
    result = score_qa(
        args.eval_dir, database_url=args.database_url, explain_misses=args.show_errors
    )
    rows = result.pop("rows")
    if args.verbose:
        for r in rows:
            mark = "ok " if (r["hit"] if r["answerable"] else r["abstained"]) else "BAD"
            print(f"{mark} {r['id']} {r['question'][:70]:<70} -> {r['got']}")
    if args.show_errors:
        for r in rows:
            if r["explain"]:
                print(f"MISS {r['id']} {r['question']} (answerable: {r['answerable']})")
                print("\n".join(r["explain"]))
    print(f"store built with: {result['store']}")
    print_table(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
