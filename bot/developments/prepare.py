"""The per-entry work of storing a source, done where the CPU is free: parse and analyse.

Parsing a response and analysing each entry (content hash, classification, importance, the
clustering fingerprint, the one-item summary) depend only on the entry and on the source's
settings, never on the store. A large poll runs them in worker processes, next to the fetches,
so the process that writes to the store only decides and writes: on a first poll of hundreds
of sources they are most of the CPU time. `bot.developments.ingest` uses an entry's `analysis` only when
its `key` matches what it would compute with itself (same taxonomy, hints and primary flag),
and computes it otherwise, so a stale or missing analysis can cost time, never correctness.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.analysis import cluster
from bot.analysis.classify import Classification, classify
from bot.analysis.importance import ItemSignal, item_importance
from bot.analysis.summarise import summarise_items
from bot.analysis.taxonomy import Taxonomy, load_taxonomy
from bot.sources.entries import RawEntry
from bot.sources.parse import ParseResult, parse_body

# Enough of an entry's text for its clustering fingerprint (the title and the lede).
FINGERPRINT_TEXT_CHARS = 1500
# Below this many sources a poll analyses in its own process: starting workers costs more.
# Measured (`policybot poll --all`, 2 cores): 20 sources x 10 items 0.8 s alone vs 1.3 s with
# a worker; 20 x 50 even; 60 x 50 5.9 s vs 4.2 s.
POOL_MIN_SOURCES = 40
_PRELOAD = ["bot.developments.prepare"]


@dataclass(frozen=True)
class AnalysisKey:
    """What an analysis depends on besides the entry: if any differs, it is recomputed."""

    taxonomy_path: str | None
    hint_jurisdictions: tuple[str, ...]
    hint_topics: tuple[str, ...]
    primary: bool


@dataclass(frozen=True)
class EntryAnalysis:
    key: AnalysisKey
    digest: str
    verdict: Classification
    importance: tuple[str, str]  # (level, why) of the item on its own
    fingerprint: cluster.Fingerprint
    summary: str  # the extractive summary of a development holding only this entry


def analysis_key(
    taxonomy_path: Path | str | None,
    hint_jurisdictions: Sequence[str],
    hint_topics: Sequence[str],
    primary: bool,
) -> AnalysisKey:
    return AnalysisKey(
        str(taxonomy_path) if taxonomy_path is not None else None,
        tuple(hint_jurisdictions),
        tuple(hint_topics),
        bool(primary),
    )


def content_hash(title: str, text: str) -> str:
    normalised = " ".join(title.split()) + "\n" + " ".join(text.split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def analyse_entry(
    entry: RawEntry, key: AnalysisKey, *, taxonomy: Taxonomy | None = None
) -> EntryAnalysis:
    """The analysis of one entry; `taxonomy` is the one `key` names, if the caller has it."""
    if taxonomy is None:
        taxonomy = _taxonomy_of(key)
    verdict = classify(
        entry.title,
        entry.text,
        taxonomy=taxonomy,
        hint_jurisdictions=key.hint_jurisdictions,
        hint_topics=key.hint_topics,
    )
    importance = item_importance(
        ItemSignal(entry.title, entry.text, entry.doc_type, key.primary, 0, verdict.relevant)
    )
    return EntryAnalysis(
        key=key,
        digest=content_hash(entry.title, entry.text),
        verdict=verdict,
        importance=importance,
        fingerprint=cluster.fingerprint(
            entry.title, entry.text[:FINGERPRINT_TEXT_CHARS], cluster.day_of(entry.published)
        ),
        summary=summarise_items([(entry.title, entry.text)]),
    )


def parse_and_analyse(
    kind: str,
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    selector: str | None,
    key: AnalysisKey | None,
) -> ParseResult:
    """`parse_body`, then each entry's analysis attached (pages are not analysed here)."""
    result = parse_body(kind, body, url=url, content_type=content_type, selector=selector)
    if key is not None and result.entries:
        # Once per response: finding the taxonomy checks its file (a stat and a realpath),
        # which cost as much as an entry's importance rating.
        taxonomy = _taxonomy_of(key)
        result.entries = [
            entry
            if entry.is_page
            else dataclasses.replace(entry, analysis=analyse_entry(entry, key, taxonomy=taxonomy))
            for entry in result.entries
        ]
    return result


def _taxonomy_of(key: AnalysisKey) -> Taxonomy:
    return load_taxonomy(Path(key.taxonomy_path) if key.taxonomy_path else None)


def analysis_pool(sources: int) -> Executor | None:
    """Worker processes for a poll of `sources` sources, or None to work in this process."""
    cpus = os.cpu_count() or 1
    if sources < POOL_MIN_SOURCES or cpus < 2:
        return None
    # forkserver: workers fork from a clean server process with this module imported, never
    # from this (threaded) process, and start in milliseconds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    # One core stays with this process: it stores what the workers prepare, and storing (a
    # single writer, clustering in order) is the slower half of a poll.
    return ProcessPoolExecutor(max_workers=min(cpus - 1, 4), mp_context=context)


def warm(pool: Executor) -> list[Any]:
    """Start every worker now (while the first requests are in flight), not on first use."""
    workers = getattr(pool, "_max_workers", 1)
    return [pool.submit(os.getpid) for _ in range(workers)]
