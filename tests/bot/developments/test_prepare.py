"""Entries analysed in worker processes are stored exactly as entries analysed by ingest."""

from __future__ import annotations

import dataclasses
from concurrent.futures import BrokenExecutor, Executor, Future
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import col, select
from support.evidence_support import without_ids
from support.sourceserver import SourceServer

from bot.analysis import cluster
from bot.analysis.classify import classify
from bot.analysis.summarise import summarise_items
from bot.analysis.taxonomy import load_taxonomy
from bot.deps import Deps
from bot.developments import ingest, prepare
from bot.developments.ingest import ingest_entries
from bot.sources.entries import RawEntry
from bot.sources.poll import poll_sources
from store.db import SessionFactory
from store.models import Development, FetchLog, Item, KeyValue, Source

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
ENTRY = RawEntry(
    guid="g1",
    url="https://example.test/a",
    title="Commerce tightens export controls on advanced computing chips",
    text="The Bureau of Industry and Security published an interim final rule on Monday "
    "restricting exports of advanced AI chips and model weights to China.",
    published=NOW,
)


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>https://example.test/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate>"
        f"<description>{text}</description></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.test/</link>{body}</channel></rss>"
    ).encode()


REPORTS = [
    ("bis-1", ENTRY.title, ENTRY.text),
    ("uk-1", "UK sets out sovereign AI compute plan", "DSIT announced a national compute "
     "strategy for sovereign AI with new data centre investment."),
    ("eu-1", "Commission opens consultation on AI Act guidance", "The European Commission "
     "opened a consultation on guidance for general-purpose AI models under the AI Act."),
]  # fmt: skip


def test_an_entry_analysed_in_a_worker_equals_what_ingest_computes() -> None:
    key = prepare.analysis_key(None, ["US"], [], True)
    analysis = prepare.analyse_entry(ENTRY, key)
    expected = classify(
        ENTRY.title, ENTRY.text, taxonomy=load_taxonomy(None), hint_jurisdictions=["US"]
    )
    assert analysis.verdict == expected
    assert analysis.fingerprint == cluster.fingerprint(
        ENTRY.title, ENTRY.text[:1500], cluster.day_of(ENTRY.published)
    )
    assert analysis.summary == summarise_items([(ENTRY.title, ENTRY.text)])
    assert analysis.digest == prepare.content_hash(ENTRY.title, ENTRY.text)


def test_parse_and_analyse_attaches_an_analysis_to_every_entry() -> None:
    key = prepare.analysis_key(None, [], [], False)
    result = prepare.parse_and_analyse(
        "feed",
        _rss(REPORTS),
        url="https://example.test/feed",
        content_type="application/rss+xml",
        selector=None,
        key=key,
    )
    assert len(result.entries) == 3
    assert all(isinstance(e.analysis, prepare.EntryAnalysis) for e in result.entries)
    assert all(e.analysis.key == key for e in result.entries)


def test_ingest_recomputes_an_analysis_made_for_other_source_settings(
    sessions: SessionFactory, settings: Any
) -> None:
    # Made as if the source had no hints: ingest must not use it for a source hinting "UK".
    stale = prepare.analyse_entry(ENTRY, prepare.analysis_key(None, [], [], True))
    forged = dataclasses.replace(
        stale, verdict=dataclasses.replace(stale.verdict, jurisdictions=["XX"])
    )
    entry = dataclasses.replace(ENTRY, analysis=forged)
    with sessions() as session:
        source = Source(name="s", kind="feed", url="https://example.test/f", primary=True)
        source.jurisdictions = ["UK"]
        session.add(source)
        session.flush()
        ingest_entries(session, source=source, entries=[entry], now=NOW, settings=settings)
        session.commit()
        item = session.exec(select(Item)).one()
    assert "XX" not in item.jurisdictions


def _snapshot(sessions: SessionFactory) -> list[tuple[object, ...]]:
    with sessions() as session:
        rows: list[tuple[object, ...]] = []
        for item in session.exec(select(Item).order_by(col(Item.guid))):
            development = session.get(Development, item.development_id)
            assert development is not None
            rows.append(
                (
                    item.guid,
                    item.title,
                    item.jurisdictions,
                    item.topics,
                    item.confidence,
                    item.content_hash,
                    without_ids(item.evidence),
                    development.title,
                    development.summary,
                    development.importance,
                    development.announce,
                    development.search_text,
                    without_ids(development.evidence),
                )
            )
        return rows


def _wipe(sessions: SessionFactory) -> None:
    with sessions() as session:
        for model in (FetchLog, Item, Development, Source, KeyValue):
            session.execute(delete(model))
        session.commit()


@pytest.fixture
def many_sources(deps: Deps, source_server: SourceServer) -> Deps:
    settings = deps.settings.model_copy(
        update={"allow_private_sources": True, "fetch_host_interval_seconds": 0.0}
    )
    blocks = []
    for index, report in enumerate(REPORTS * 2):
        # Each report from two sources: they must cluster the same way in both runs.
        url = source_server.route(
            f"/feed-{index}", body=_rss([(f"{index}-{report[0]}", *report[1:])])
        )
        blocks.append(
            f'[[sources]]\nname = "s{index}"\nkind = "feed"\nurl = "{url}"\nprimary = false\n'
        )
    settings.sources_path.write_text("\n".join(blocks), encoding="utf-8")
    return Deps(settings=settings, sessions=deps.sessions, clock=deps.clock, engine=deps.engine)


def test_a_poll_with_worker_processes_stores_what_an_in_process_poll_stores(
    many_sources: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prepare, "POOL_MIN_SOURCES", 10**6)
    in_process = poll_sources(many_sources, all_sources=True)
    expected = _snapshot(many_sources.sessions)
    _wipe(many_sources.sessions)
    monkeypatch.setattr(prepare, "POOL_MIN_SOURCES", 1)
    used: list[str] = []
    prepared = ingest.IngestRun.prepared

    def spy(self: ingest.IngestRun, entry: RawEntry) -> prepare.EntryAnalysis | None:
        analysis = prepared(self, entry)
        if analysis is not None:
            used.append(entry.guid)
        return analysis

    monkeypatch.setattr(ingest.IngestRun, "prepared", spy)
    pooled = poll_sources(many_sources, all_sources=True)
    assert len(set(used)) == 6, "every entry was analysed by a worker"
    assert in_process.exit_code == pooled.exit_code == 0
    assert pooled.new == in_process.new == 6
    assert _snapshot(many_sources.sessions) == expected
    assert len({row[7] for row in expected}) == 3  # two reports of each event joined


class _FailingPool(Executor):
    """A pool whose every submit fails as `error` does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "warmed"),
    [
        # A worker died after the pool started: each parse falls back.
        (BrokenExecutor("a worker died"), True),
        # No process can start here: the poll gives up the pool when warming it.
        (OSError("cannot start a process here"), False),
    ],
)
def test_a_pool_that_fails_leaves_the_poll_to_one_process(
    many_sources: Deps, monkeypatch: pytest.MonkeyPatch, error: Exception, warmed: bool
) -> None:
    monkeypatch.setattr("bot.sources.poll.analysis_pool", lambda sources: _FailingPool(error))
    if warmed:
        monkeypatch.setattr("bot.sources.poll.warm", lambda pool: [])
    report = poll_sources(many_sources, all_sources=True)
    assert report.exit_code == 0
    assert report.new == 6
