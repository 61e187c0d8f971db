"""A poll over loopback: good sources are stored, bad ones survived and reported, the second
poll is conditional and stores nothing new, and replicas never fetch one source twice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select
from support.sourceserver import SourceServer

from bot.config import Settings
from bot.deps import Deps
from bot.developments.pool import CandidatePool
from bot.sources.poll import (
    PollReport,
    UnknownSourceError,
    backoff_delay,
    claim_sources,
    poll_sources,
)
from bot.sources.sources_file import SourcesFileError
from store.db import SessionFactory
from store.models import FetchLog, Item, ItemVersion, Source


def write_sources(path: Path, sources: dict[str, tuple[str, str]], **extra: str) -> None:
    """`sources`: name -> (kind, url). `extra`: name -> extra TOML lines."""
    blocks = []
    for name, (kind, url) in sources.items():
        blocks.append(
            f'[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{url}"\nprimary = true\n'
            + extra.get(name.replace("-", "_"), "")
        )
    path.write_text("\n".join(blocks), encoding="utf-8")


@pytest.fixture
def poll_deps(deps: Deps) -> Deps:
    settings = deps.settings.model_copy(
        update={
            "allow_private_sources": True,
            "fetch_host_interval_seconds": 0.0,
            "fetch_timeout_seconds": 3.0,
            "fetch_per_host": 8,
        }
    )
    return Deps(settings=settings, sessions=deps.sessions, clock=deps.clock, engine=deps.engine)


def serve_good_sources(server: SourceServer) -> dict[str, tuple[str, str]]:
    server.fixture("/api/v1/documents.json", "fr_bis_page2.json")
    return {
        "fr-bis": ("federal_register", server.fixture("/fr", "fr_bis_page1.json", etag='"fr1"')),
        "rss": (
            "feed",
            server.fixture(
                "/rss", "rss2_synthetic.xml", last_modified="Wed, 25 Nov 2026 10:00:00 GMT"
            ),
        ),
        "atom": ("feed", server.fixture("/atom", "atom_govuk_org_synthetic.xml", etag='"a1"')),
        "rdf": ("feed", server.fixture("/rdf", "rss1_synthetic.rdf", etag='"r1"')),
        "json-feed": ("feed", server.fixture("/jf", "jsonfeed_synthetic.json", etag='"j1"')),
        "govuk": ("govuk_search", server.fixture("/gs", "govuk_search_synthetic.json", etag='"g"')),
        "charset": (
            "feed",
            server.fixture("/cp", "cp1252_declared_utf8_synthetic.xml", etag='"c1"'),
        ),
        "malformed": ("feed", server.fixture("/bad-xml", "malformed_feed_synthetic.xml")),
        "empty": ("feed", server.fixture("/empty", "empty_feed_synthetic.xml", etag='"e"')),
    }


def serve_bad_sources(server: SourceServer) -> dict[str, tuple[str, str]]:
    server.route("/loop-a", redirect_to="/loop-b")
    return {
        "http-500": ("feed", server.route("/500", status=500)),
        "timeout": ("feed", server.route("/slow", delay=10, body=b"<rss/>")),
        "drip": ("feed", server.route("/drip", drip=True, drip_interval=0.05)),
        "huge": ("feed", server.route("/huge", size=20_000_000, chunked=True)),
        "redirect-loop": ("feed", server.route("/loop-b", redirect_to="/loop-a")),
        "html-not-feed": ("feed", server.fixture("/html", "error_page_synthetic.html")),
        "not-xml": ("feed", server.route("/garbage", body=b"\x00\x01\x02 not xml at all")),
    }


def item_count(sessions: SessionFactory, source: str | None = None) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(Item)
        if source is not None:
            query = query.join(Source, col(Source.id) == col(Item.source_id)).where(
                col(Source.name) == source
            )
        return int(session.exec(query).one())


def test_every_bad_source_is_survived_reported_and_the_rest_stored(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    good = serve_good_sources(source_server)
    bad = serve_bad_sources(source_server)
    write_sources(poll_deps.settings.sources_path, {**good, **bad})

    report = poll_sources(poll_deps, all_sources=True)
    rows = {row.source: row for row in report.rows}
    assert set(rows) == set(good) | set(bad)
    assert report.exit_code == 3

    expected_errors = {
        "http-500": "HTTP 500 Internal Server Error",
        "timeout": "timed out",
        "drip": "timed out",
        "huge": "too large",
        "redirect-loop": "too many redirects",
        "html-not-feed": "not a feed",
        "not-xml": "malformed feed",
    }
    for name, reason in expected_errors.items():
        assert rows[name].status == "error", name
        assert rows[name].error is not None and reason in rows[name].error, (name, rows[name].error)

    for name in good:
        assert rows[name].status == "ok", (name, rows[name].error)
    assert rows["empty"].new == 0 and rows["empty"].error == "empty feed: no entries"
    assert rows["malformed"].new == 1 and "repaired" in (rows["malformed"].error or "")
    assert rows["fr-bis"].entries == 9, "both Federal Register pages were read"
    assert rows["rss"].new == 3 and rows["atom"].new == 2 and rows["govuk"].new == 2
    assert item_count(poll_deps.sessions, "rss") == 3
    assert item_count(poll_deps.sessions, "charset") == 1
    assert report.development_ids, "new developments are handed on for alerts"

    with poll_deps.sessions() as session:
        sources = {s.name: s for s in session.exec(select(Source)).all()}
        logs = session.exec(select(FetchLog)).all()
        charset_title = session.exec(
            select(Item.title).join(Source).where(col(Source.name) == "charset")
        ).one()
    assert charset_title == "“Sovereign AI” fund – €2bn for compute"
    assert len(logs) == len(good) + len(bad)
    assert sources["http-500"].consecutive_failures == 1
    assert sources["http-500"].last_error == "HTTP 500 Internal Server Error"
    assert sources["rss"].last_status == "ok" and sources["rss"].consecutive_failures == 0
    assert sources["fr-bis"].etag == '"fr1"'
    assert all(s.lease_until is None for s in sources.values()), "leases released"

    # Second poll: conditional requests, nothing new stored.
    before = item_count(poll_deps.sessions)
    second = poll_sources(poll_deps, names=sorted(good))
    rows2 = {row.source: row for row in second.rows}
    assert item_count(poll_deps.sessions) == before
    assert all(row.new == 0 and row.updated == 0 for row in second.rows)
    assert rows2["fr-bis"].status == "not_modified" and rows2["rss"].status == "not_modified"
    assert source_server.requests_to("/fr")[-1].headers["if-none-match"] == '"fr1"'
    assert (
        source_server.requests_to("/rss")[-1].headers["if-modified-since"]
        == "Wed, 25 Nov 2026 10:00:00 GMT"
    )
    assert len(source_server.requests_to("/api/v1/documents.json")) <= 1, "304: no paging"
    assert second.exit_code == 0


def test_a_304_is_not_parsed_even_if_the_body_changed(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    url = source_server.fixture("/rss", "rss2_synthetic.xml", etag='"v1"')
    write_sources(poll_deps.settings.sources_path, {"rss": ("feed", url)})
    poll_sources(poll_deps, all_sources=True)
    source_server.route("/rss", body=b"garbage that would fail to parse", etag='"v1"')
    report = poll_sources(poll_deps, all_sources=True)
    assert report.rows[0].status == "not_modified" and report.rows[0].error is None


def test_failures_back_off_exponentially_and_recover(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    now = [datetime(2026, 11, 26, 12, tzinfo=UTC)]
    deps = Deps(
        settings=poll_deps.settings,
        sessions=poll_deps.sessions,
        clock=lambda: now[0],
        engine=poll_deps.engine,
    )
    url = source_server.route("/flaky", status=503)
    write_sources(
        deps.settings.sources_path, {"flaky": ("feed", url)}, flaky="interval_minutes = 10\n"
    )
    due_times = []
    for _ in range(3):
        report = poll_sources(deps)
        assert report.rows[0].status == "error"
        with deps.sessions() as session:
            source = session.exec(select(Source)).one()
        assert source.next_due_at is not None
        due_times.append(source.next_due_at - now[0])
        assert poll_sources(deps).rows == [], "not due again before its backoff"
        now[0] = source.next_due_at
    assert due_times == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]

    source_server.fixture("/flaky", "rss2_synthetic.xml")
    report = poll_sources(deps)
    assert report.rows[0].status == "ok"
    with deps.sessions() as session:
        source = session.exec(select(Source)).one()
    assert source.consecutive_failures == 0 and source.next_due_at == now[0] + timedelta(minutes=10)


def test_backoff_is_capped_at_a_day() -> None:
    assert backoff_delay(60, 1) == timedelta(hours=1)
    assert backoff_delay(60, 30) == timedelta(hours=24)


def test_a_changed_page_becomes_a_new_version(poll_deps: Deps, source_server: SourceServer) -> None:
    url = source_server.fixture("/topic", "page_v1_synthetic.html")
    write_sources(
        poll_deps.settings.sources_path, {"nl-page": ("page", url)}, nl_page='selector = "main"\n'
    )
    first = poll_sources(poll_deps, all_sources=True)
    assert first.rows[0].new == 1
    source_server.fixture("/topic", "page_v2_synthetic.html")
    second = poll_sources(poll_deps, all_sources=True)
    assert second.rows[0].status == "ok" and second.rows[0].updated == 1
    with poll_deps.sessions() as session:
        item = session.exec(select(Item)).one()
        versions = session.exec(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id)
            .order_by(col(ItemVersion.version))
        ).all()
    assert item.version == 2 and "advanced chip packaging tools" in item.text
    assert [v.version for v in versions] == [1, 2]  # the baseline, then the change
    assert "advanced chip packaging tools" in versions[1].added
    assert "advanced chip packaging tools" not in versions[1].removed


def test_only_due_sources_are_polled_unless_named_or_all(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    urls = {
        "a": ("feed", source_server.fixture("/a", "rss2_synthetic.xml")),
        "b": ("feed", source_server.fixture("/b", "rss1_synthetic.rdf")),
    }
    write_sources(poll_deps.settings.sources_path, urls)
    assert len(poll_sources(poll_deps).rows) == 2
    assert poll_sources(poll_deps).rows == []
    assert [r.source for r in poll_sources(poll_deps, names=["b"]).rows] == ["b"]
    assert len(poll_sources(poll_deps, all_sources=True).rows) == 2
    with pytest.raises(UnknownSourceError, match="nope"):
        poll_sources(poll_deps, names=["nope"])


def test_an_invalid_sources_file_stops_the_poll(poll_deps: Deps) -> None:
    poll_deps.settings.sources_path.write_text('[[sources]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(SourcesFileError, match="missing required key 'kind'"):
        poll_sources(poll_deps)


def test_a_leased_source_is_not_claimed_by_another_process(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    url = source_server.fixture("/a", "rss2_synthetic.xml")
    write_sources(poll_deps.settings.sources_path, {"a": ("feed", url)})
    poll_sources(poll_deps, names=["a"])  # syncs the file, releases its lease
    claimed, busy = claim_sources(
        poll_deps, owner="replica-1", names=["a"], lease=timedelta(minutes=5)
    )
    assert [c.name for c in claimed] == ["a"] and busy == []
    again, busy = claim_sources(
        poll_deps, owner="replica-2", names=["a"], lease=timedelta(minutes=5)
    )
    assert again == [] and busy == ["a"]
    report = poll_sources(poll_deps, names=["a"], owner="replica-2")
    assert report.rows[0].status == "busy" and report.exit_code == 0
    assert len(source_server.requests_to("/a")) == 1


def test_two_concurrent_polls_fetch_each_source_once(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    sources = {
        f"s{i}": ("feed", source_server.fixture(f"/s{i}", "rss2_synthetic.xml", delay=0.05))
        for i in range(6)
    }
    write_sources(poll_deps.settings.sources_path, sources)
    poll_sources(poll_deps, names=["s0"])  # sync once, so both replicas see the same rows
    with poll_deps.sessions() as session:
        for source in session.exec(select(Source)).all():
            source.next_due_at = None
            session.add(source)
        session.commit()
    reports: list[PollReport] = []
    barrier = threading.Barrier(2)

    def replica(name: str) -> None:
        barrier.wait()
        reports.append(poll_sources(poll_deps, owner=name, sync_file=False))

    threads = [threading.Thread(target=replica, args=(f"r{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fetched = [row.source for report in reports for row in report.rows if row.status == "ok"]
    assert sorted(fetched) == sorted(sources)
    for i in range(6):
        assert len(source_server.requests_to(f"/s{i}")) == (2 if i == 0 else 1)


def test_poll_report_exit_codes() -> None:
    from bot.sources.poll import PollRow

    assert PollReport(rows=[PollRow("a", "ok"), PollRow("b", "not_modified")]).exit_code == 0
    assert PollReport(rows=[PollRow("a", "ok"), PollRow("b", "error")]).exit_code == 3


def test_settings_fixture_is_isolated(settings: Settings) -> None:
    assert settings.allow_private_sources is False


def test_a_store_failure_of_one_source_leaves_the_others_stored(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    from bot.developments.ingest import ingest_entries

    def ingest(session, *, source, entries, now, settings):  # type: ignore[no-untyped-def]
        if source.name == "cursed":
            raise RuntimeError("disk on fire")
        return ingest_entries(session, source=source, entries=entries, now=now, settings=settings)

    write_sources(
        poll_deps.settings.sources_path,
        {
            "cursed": ("feed", source_server.fixture("/c", "rss1_synthetic.rdf")),
            "fine": ("feed", source_server.fixture("/f", "rss2_synthetic.xml")),
        },
    )
    report = poll_sources(poll_deps, all_sources=True, ingest=ingest)
    rows = {row.source: row for row in report.rows}
    assert rows["cursed"].status == "error"
    assert rows["cursed"].error == "store error: RuntimeError: disk on fire"
    assert rows["fine"].status == "ok" and item_count(poll_deps.sessions, "fine") == 3
    assert item_count(poll_deps.sessions, "cursed") == 0
    with poll_deps.sessions() as session:
        cursed = session.exec(select(Source).where(col(Source.name) == "cursed")).one()
    assert cursed.consecutive_failures == 1 and cursed.lease_until is None


def test_an_empty_202_is_reported_not_parsed(poll_deps: Deps, source_server: SourceServer) -> None:
    url = source_server.route("/waf", status=202, body=b"")
    write_sources(poll_deps.settings.sources_path, {"eurlex": ("feed", url)})
    report = poll_sources(poll_deps, all_sources=True)
    assert report.rows[0].error == "empty response (HTTP 202)"


def test_sources_are_stored_in_name_order_whatever_answers_first(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    # "a-slow" answers last but is stored first: clustering never depends on network timing.
    sources = {
        "a-slow": ("feed", source_server.fixture("/slow-rss", "rss2_synthetic.xml", delay=0.5)),
        "b-fast": ("feed", source_server.fixture("/fast-atom", "atom_govuk_org_synthetic.xml")),
    }
    write_sources(poll_deps.settings.sources_path, sources)
    report = poll_sources(poll_deps, all_sources=True)
    assert report.exit_code == 0
    with poll_deps.sessions() as session:
        first_ids = {
            name: session.exec(
                select(func.min(Item.id)).join(Source).where(Source.name == name)
            ).one()
            for name in sources
        }
        last_slow = session.exec(
            select(func.max(Item.id)).join(Source).where(Source.name == "a-slow")
        ).one()
    assert first_ids["a-slow"] is not None and first_ids["b-fast"] is not None
    assert last_slow is not None and last_slow < first_ids["b-fast"]


def test_a_poll_reads_the_candidates_once_for_all_its_sources(
    poll_deps: Deps, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:

    loads: list[int] = []
    original = CandidatePool.load

    def counting_load(self: CandidatePool, *args: Any, **kwargs: Any) -> None:
        loads.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(CandidatePool, "load", counting_load)
    write_sources(
        poll_deps.settings.sources_path,
        {
            "rss": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml")),
            "atom": ("feed", source_server.fixture("/atom", "atom_govuk_org_synthetic.xml")),
            "rdf": ("feed", source_server.fixture("/rdf", "rss1_synthetic.rdf")),
        },
    )
    assert poll_sources(poll_deps, all_sources=True).new > 0
    assert len(loads) == 1  # the first source's call; the others start from its pool
    write_sources(
        poll_deps.settings.sources_path,
        {"json-feed": ("feed", source_server.fixture("/jf", "jsonfeed_synthetic.json"))},
    )
    assert poll_sources(poll_deps, all_sources=True).new > 0
    assert len(loads) == 2  # a new poll, a new cache: read once more


def _federal_register_pages(
    server: SourceServer, pages: list[list[str]], *, prefix: str = "/fr"
) -> str:
    """Serve `documents.json` pages of these document numbers, each linking to the next."""
    for index, numbers in enumerate(pages):
        following = f"{{base}}{prefix}/p{index + 2}" if index + 1 < len(pages) else None
        body = {
            "count": sum(map(len, pages)),
            "total_pages": len(pages),
            "next_page_url": following,
            "results": [
                {
                    "document_number": number,
                    "title": f"Entity List additions {number}",
                    "abstract": f"BIS adds entities to the Entity List ({number}).",
                    "type": "Rule",
                    "publication_date": "2026-11-20",
                    "html_url": f"https://www.federalregister.gov/d/{number}",
                }
                for number in numbers
            ],
        }
        server.route(
            f"{prefix}/p{index + 1}",
            body=json.dumps(body),
            content_type="application/json",
        )
    return server.url + f"{prefix}/p1"


def test_federal_register_paging_catches_up_then_stops_at_a_page_with_nothing_new(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    pages = [[f"2026-{p}{d}" for d in range(2)] for p in range(5)]
    url = _federal_register_pages(source_server, pages)
    write_sources(poll_deps.settings.sources_path, {"bis": ("federal_register", url)})
    first = poll_sources(poll_deps, all_sources=True)
    assert first.rows[0].new == 10  # every page: a first poll catches up
    assert all(len(source_server.requests_to(f"/fr/p{n}")) == 1 for n in range(1, 6))

    unchanged = poll_sources(poll_deps, all_sources=True)
    assert unchanged.rows[0].new == 0
    assert [len(source_server.requests_to(f"/fr/p{n}")) for n in (1, 2)] == [2, 1]

    # A new document tops page 1 and pushes the others down: page 2 holds nothing new, so
    # paging stops there (page 3 is not read).
    shifted = [["2026-new", "2026-00"], ["2026-01", "2026-10"], ["2026-11", "2026-20"]]
    _federal_register_pages(source_server, [*shifted, *pages[3:]])
    third = poll_sources(poll_deps, all_sources=True)
    assert third.rows[0].new == 1
    assert [len(source_server.requests_to(f"/fr/p{n}")) for n in (1, 2, 3, 4)] == [3, 2, 1, 1]

    # An edited document is news too: the page after it is read as well.
    edited = json.loads(source_server.get_route("/fr/p1").body)  # type: ignore[union-attr]
    edited["results"][1]["abstract"] = "BIS corrects the addresses of two entities."
    source_server.route("/fr/p1", body=json.dumps(edited), content_type="application/json")
    fourth = poll_sources(poll_deps, all_sources=True)
    assert (fourth.rows[0].new, fourth.rows[0].updated) == (0, 1)
    assert [len(source_server.requests_to(f"/fr/p{n}")) for n in (1, 2, 3)] == [4, 3, 1]


_MIXED_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Export rule</title><link>https://e.org/rule</link></item>"
    b"<item><guid isPermaLink='false'>empty-1</guid></item>"
    b"<item><title>Bad link</title><link>http://[bad/</link></item>"
    b"</channel></rss>"
)


def test_skipped_entries_are_counted_on_the_source_and_the_good_ones_stored(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    url = source_server.route("/mixed", body=_MIXED_FEED, content_type="application/rss+xml")
    write_sources(poll_deps.settings.sources_path, {"mixed": ("feed", url)})
    (row,) = poll_sources(poll_deps, all_sources=True).rows
    assert (row.status, row.new, row.skipped) == ("ok", 1, 2)
    assert row.error is not None and "2 entries skipped" in row.error
    with poll_deps.sessions() as session:
        source = session.exec(select(Source)).one()
        assert source.last_skipped == 2 and source.consecutive_failures == 0
        assert source.last_skipped_reason is not None
        assert "no title, link or text" in source.last_skipped_reason
        assert "bad link" in source.last_skipped_reason
        assert [i.title for i in session.exec(select(Item)).all()] == ["Export rule"]


def test_a_malformed_feed_with_nothing_usable_is_a_failure_and_stores_nothing(
    poll_deps: Deps, source_server: SourceServer
) -> None:
    url = source_server.route("/oops", body=b"<rss><channel><item><title>oops")
    write_sources(poll_deps.settings.sources_path, {"oops": ("feed", url)})
    report = poll_sources(poll_deps, all_sources=True)
    (row,) = report.rows
    assert row.status == "error" and report.exit_code == 3
    assert row.error == "parse error: nothing usable in the feed: 1 entry skipped " + (
        "(no title, link or text)"
    )
    with poll_deps.sessions() as session:
        source = session.exec(select(Source)).one()
        assert source.consecutive_failures == 1 and source.last_status == "error"
        assert session.exec(select(func.count()).select_from(Item)).one() == 0
