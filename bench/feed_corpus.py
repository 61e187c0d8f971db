"""feedparser's own 2,106 test feeds through the project's feed parsing: agreement and time.

For each file of tests/fixtures/feedparser (served with the headers its comment names), the
project's `parse_body("feed", ...)` is compared with feedparser (tests/support/feedcorpus.py says what
agreement means) and timed. Naive baseline, in the same run: `feedparser.parse` alone on the
same files (what any feed parsing here must at least call).

    .venv/bin/python bench/feed_corpus.py [--repeat 5] [--corpus DIR]

Prints a table, then one JSON object as the last line. Times are the best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import feedparser  # noqa: E402
from support.feedcorpus import (  # noqa: E402
    CORPUS,
    Seen,
    corpus_files,
    disagreement,
    feedparser_entries,
    file_headers,
    seen_of,
)

from bot.sources.parse import ParseError, parse_body  # noqa: E402

Job = tuple[Path, bytes, dict[str, str]]


def _ours(job: Job) -> list[Seen] | str:
    path, body, headers = job
    try:
        result = parse_body(
            "feed",
            body,
            url=headers.get("content-location") or path.resolve().as_uri(),
            content_type=headers.get("content-type"),
        )
    except ParseError as exc:
        return f"error: {exc}"
    return [
        seen_of(
            {
                "title": entry.title,
                "published": entry.published.isoformat() if entry.published else None,
            }
        )
        for entry in result.entries
    ]


def _baseline(job: Job) -> object:
    return feedparser.parse(job[1], response_headers=job[2])


def _seconds(jobs: list[Job], run: Callable[[Job], object]) -> float:
    started = time.perf_counter()
    for job in jobs:
        run(job)
    return time.perf_counter() - started


def _best_seconds(jobs: list[Job], runs: list[Callable[[Job], object]], repeat: int) -> list[float]:
    """The best time of each run; the runs take turns, so a busy machine slows them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, run in enumerate(runs):
            best[index] = min(best[index], _seconds(jobs, run))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    jobs: list[Job] = []
    for path in corpus_files(args.corpus):
        body = path.read_bytes()
        jobs.append((path, body, file_headers(body)))
    disagreeing: list[str] = []
    crashed: list[str] = []
    for job in jobs:
        expected = feedparser_entries(job[1], job[2])
        try:
            ours = _ours(job)
        except Exception as exc:  # the old code's crashes are part of the measure
            crashed.append(f"{job[0].relative_to(args.corpus)}: {type(exc).__name__}")
            ours = []
        if isinstance(ours, str):
            ours = []
        if disagreement(expected, ours) is not None:
            disagreeing.append(str(job[0].relative_to(args.corpus)))
    ours_seconds, baseline_seconds = _best_seconds(jobs, [_safe(_ours), _baseline], args.repeat)
    agreeing = len(jobs) - len(disagreeing)
    share = agreeing / len(jobs)
    print(f"{'':32}{'files':>8}{'agree':>8}{'share':>9}{'crashes':>9}{'seconds':>10}")
    print(
        f"{'policybot parse_body':32}{len(jobs):>8}{agreeing:>8}{share:>9.2%}"
        f"{len(crashed):>9}{ours_seconds:>10.2f}"
    )
    print(f"{'baseline: feedparser.parse':32}{len(jobs):>8}{'':>8}{'':>9}{'':>9}"
          f"{baseline_seconds:>10.2f}")  # fmt: skip
    for name in disagreeing[:20]:
        print(f"  disagrees: {name}")
    for line in crashed[:20]:
        print(f"  crashed: {line}")
    print(
        json.dumps(
            {
                "files": len(jobs),
                "agreeing": agreeing,
                "agreement_share": round(share, 4),
                "crashes": len(crashed),
                "parse_seconds": round(ours_seconds, 3),
                "baseline_feedparser_seconds": round(baseline_seconds, 3),
                "ms_per_file": round(1000 * ours_seconds / len(jobs), 3),
            }
        )
    )


def _safe(run: Callable[[Job], object]) -> Callable[[Job], object]:
    def guarded(job: Job) -> object:
        try:
            return run(job)
        except Exception as exc:
            return exc

    return guarded


if __name__ == "__main__":
    main()
