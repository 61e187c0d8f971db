"""`policybot poll`, `sources list|check` and `export` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from support.sourceserver import SourceServer
from typer.testing import CliRunner

from bot.cli.main import app
from bot.sources.sources_file import SourceSpec, add_slack_source
from store.db import SessionFactory
from store.models import Development


@pytest.fixture
def env(database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    del engine  # requested for its effect: a migrated, empty database
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POLICYBOT_SOURCES", str(tmp_path / "sources.toml"))
    monkeypatch.setenv("POLICYBOT_ALLOW_PRIVATE_SOURCES", "true")
    monkeypatch.setenv("POLICYBOT_FETCH_HOST_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("POLICYBOT_FETCH_TIMEOUT_SECONDS", "2")
    return tmp_path / "sources.toml"


def sources_file(path: Path, entries: dict[str, tuple[str, str]]) -> None:
    path.write_text(
        "\n".join(
            f'[[sources]]\nname = "{n}"\nkind = "{k}"\nurl = "{u}"\nprimary = true\n'
            for n, (k, u) in entries.items()
        ),
        encoding="utf-8",
    )


runner = CliRunner()


def test_poll_prints_a_table_and_exits_3_when_a_source_failed(
    env: Path, source_server: SourceServer
) -> None:
    sources_file(
        env,
        {
            "good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml")),
            "broken": ("feed", source_server.route("/500", status=500)),
        },
    )
    result = runner.invoke(app, ["poll", "--all"])
    assert result.exit_code == 3, result.output
    for word in ("source", "status", "new", "updated", "error", "seconds"):
        assert word in result.stdout
    assert "good-feed" in result.stdout and "HTTP 500" in result.stdout
    good_line = next(line for line in result.stdout.splitlines() if "good-feed" in line)
    assert " 3 " in good_line


def test_poll_exits_0_when_every_source_was_fetched(env: Path, source_server: SourceServer) -> None:
    sources_file(env, {"good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml"))})
    assert runner.invoke(app, ["poll"]).exit_code == 0
    again = runner.invoke(app, ["poll"])
    assert again.exit_code == 0 and "no source is due" in again.stdout
    named = runner.invoke(app, ["poll", "--source", "good-feed"])
    assert named.exit_code == 0 and "good-feed" in named.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["poll", "--source", "nope"], "unknown or disabled source: nope"),
        (["poll", "--source", "x", "--all"], "cannot be combined"),
    ],
)
def test_poll_usage_errors_exit_2(
    env: Path, source_server: SourceServer, args: list[str], message: str
) -> None:
    sources_file(env, {"x": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml"))})
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.stderr


def test_an_invalid_sources_file_exits_2_naming_file_and_problem(env: Path) -> None:
    env.write_text('[[sources]]\nname = "x"\nkind = "rss"\nurl = "https://e.org"\nprimary = true\n')
    result = runner.invoke(app, ["poll"])
    assert result.exit_code == 2
    assert f"{env}:3: source 'x': kind 'rss' is not one of" in result.stderr


def test_an_invalid_setting_exits_2(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYBOT_FETCH_CONCURRENCY", "0")
    result = runner.invoke(app, ["poll"])
    assert result.exit_code == 2 and "POLICYBOT_FETCH_CONCURRENCY" in result.stderr


def test_sources_list_shows_health(env: Path, source_server: SourceServer) -> None:
    sources_file(
        env,
        {
            "good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml")),
            "broken": ("feed", source_server.route("/500", status=500)),
        },
    )
    runner.invoke(app, ["poll", "--all"])
    result = runner.invoke(app, ["sources", "list"])
    assert result.exit_code == 0
    broken = next(line for line in result.stdout.splitlines() if "broken" in line)
    assert "failing ×1" in broken and "HTTP 500" in broken
    good = next(line for line in result.stdout.splitlines() if "good-feed" in line)
    assert " ok " in good


def test_sources_check_fetches_without_storing(env: Path, source_server: SourceServer) -> None:
    sources_file(
        env,
        {
            "good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml")),
            "empty": ("feed", source_server.fixture("/e", "empty_feed_synthetic.xml")),
            "broken": ("feed", source_server.route("/500", status=500)),
        },
    )
    result = runner.invoke(app, ["sources", "check"])
    assert result.exit_code == 3
    assert "empty feed" in result.stdout and "HTTP 500" in result.stdout
    export = runner.invoke(app, ["export", "--json"])
    assert json.loads(export.stdout) == []


def test_sources_check_covers_sources_added_from_slack(
    env: Path, source_server: SourceServer, sessions: SessionFactory
) -> None:
    sources_file(env, {"good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml"))})
    spec = SourceSpec("added-feed", "feed", source_server.route("/gone", status=404), False)
    with sessions() as session:
        add_slack_source(
            session, spec=spec, added_by="U123", now=datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
        )
        session.commit()
    result = runner.invoke(app, ["sources", "check"])
    assert result.exit_code == 3, result.output  # the Slack source fails
    assert "1 added from Slack" in result.stdout
    added = next(line for line in result.stdout.splitlines() if "added-feed" in line)
    assert "error" in added and "404" in added
    good = next(line for line in result.stdout.splitlines() if "good-feed" in line)
    assert " ok " in good


def test_export_json_and_csv_in_the_contract_shape(env: Path, source_server: SourceServer) -> None:
    sources_file(env, {"good-feed": ("feed", source_server.fixture("/rss", "rss2_synthetic.xml"))})
    runner.invoke(app, ["poll", "--all"])
    result = runner.invoke(app, ["export", "--json"])
    assert result.exit_code == 0
    developments = json.loads(result.stdout)
    assert developments
    keys = {"id", "title", "summary", "jurisdictions", "topics", "importance", "first_seen"}
    for development in developments:
        assert keys | {"published", "items", "dates", "evidence"} == set(development)
        for dated in development["dates"]:
            assert set(dated) == {"kind", "date", "sentence"}
        for item in development["items"]:
            assert set(item) == {"url", "title", "source"} and item["source"] == "good-feed"
    urls = {i["url"] for d in developments for i in d["items"]}
    assert "https://news.example.org/2026/11/ai-chip-rules?id=7" in urls

    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["export", "--csv"]).stdout)))
    assert len(rows) == len(developments) and rows[0]["id"] == str(developments[0]["id"])

    later = json.loads(runner.invoke(app, ["export", "--since", "2026-11-24"]).stdout)
    assert later and len(later) < len(developments)
    assert all((d["published"] or d["first_seen"]) >= "2026-11-24" for d in later)
    bad = runner.invoke(app, ["export", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_sources_parse_prints_one_json_object_per_file_and_a_bad_file_stops_nothing(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Caf\xe9 rule \x93new\x94</title><link>/r/1?utm_source=x</link>"
        b"<guid>r-1</guid><pubDate>Tue, 14 Jan 2025 10:00:00 +0100</pubDate>"
        b"<description>&lt;p&gt;Text.&lt;/p&gt;</description></item></channel></rss>"
    )
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<rss><channel><item><title>oops")
    result = runner.invoke(
        app,
        ["sources", "parse", str(broken), str(good), "--json", "--url", "https://e.org/feed"],
    )
    assert result.exit_code == 3
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {
        "path": str(broken),
        "entries": [],
        "error": "nothing usable in the feed: 1 entry skipped (no title, link or text)",
    }
    assert second == {
        "path": str(good),
        "entries": [
            {
                "title": "Café rule “new”",
                "url": "https://e.org/r/1",
                "guid": "r-1",
                "published": "2025-01-14T09:00:00+00:00",
                "text": "Text.",
            }
        ],
        "error": None,
    }


def test_sources_parse_reads_each_kind_and_says_what_it_skipped(tmp_path: Path) -> None:
    body = tmp_path / "fr.json"
    body.write_text(
        json.dumps({"results": [{"document_number": "2025-1", "title": "Rule"}, {"title": "x"}]})
    )
    result = runner.invoke(app, ["sources", "parse", str(body), "--kind", "federal_register"])
    assert result.exit_code == 0
    assert f"{body}: 1 entry (1 entry skipped (no document_number))" in result.stdout
    assert "Rule" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xml"], "error: no such file: missing.xml"),
        (["--kind", "rss", "{good}"], "error: --kind 'rss' is not one of feed, federal_register"),
    ],
)
def test_sources_parse_operator_mistakes_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    good = tmp_path / "good.xml"
    good.write_text("<rss/>")
    result = runner.invoke(
        app, ["sources", "parse", *[a.replace("{good}", str(good)) for a in args]]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "title",
    [
        '=HYPERLINK("http://evil.example","Export rules")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1 new chip rule",
        "-2 licences revoked",
        "\tTabbed title",
        "\rReturned title",
    ],
)
def test_export_csv_cells_never_start_a_formula_and_json_is_unchanged(
    env: Path, sessions: SessionFactory, title: str
) -> None:
    with sessions() as session:
        session.add(Development(title=title, summary="=1+2 in the summary", importance="low"))
        session.commit()
    (row,) = csv.DictReader(io.StringIO(runner.invoke(app, ["export", "--csv"]).stdout))
    assert row["title"] == "'" + title and row["summary"] == "'=1+2 in the summary"
    (development,) = json.loads(runner.invoke(app, ["export", "--json"]).stdout)
    assert development["title"] == title
