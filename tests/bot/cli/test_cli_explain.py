"""`policybot explain ID [--json]` and the `evidence` of `policybot export --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from support.sourceserver import SourceServer
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()

_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{name}</title><link>https://{name}.example.org/</link>
<description>synthetic</description>
<item><title>{title}</title><link>https://{name}.example.org/1</link>
<guid>{name}-1</guid><pubDate>{date}</pubDate><description>{text}</description></item>
</channel></rss>"""


@pytest.fixture
def polled(
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source_server: SourceServer,
) -> None:
    """Two outlets reporting one invented rule: a press release and a law-firm alert."""
    del engine  # requested for its effect: a migrated, empty database
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("POLICYBOT_SOURCES", str(tmp_path / "sources.toml"))
    monkeypatch.setenv("POLICYBOT_ALLOW_PRIVATE_SOURCES", "true")
    monkeypatch.setenv("POLICYBOT_FETCH_HOST_INTERVAL_SECONDS", "0")
    feeds = {
        "ministry": (
            "Ministry imposes licence duty on Korvane lithography parts",
            "Tue, 04 Mar 2031 09:00:00 GMT",
            "The Ministry of Economy, Trade and Industry (METI) imposed an export licence "
            "requirement on Korvane immersion lithography parts used to make advanced AI chips, "
            "effective 1 April.",
        ),
        "lawfirm": (
            "Client alert: METI licence requirement for Korvane lithography components",
            "Thu, 06 Mar 2031 09:00:00 GMT",
            "METI now requires an export licence for Korvane immersion lithography components "
            "for advanced AI chips from 1 April; exporters should review their contracts.",
        ),
    }
    lines = []
    for (name, (title, date, text)), primary in zip(feeds.items(), ("true", "false"), strict=True):
        url = source_server.route(
            f"/{name}",
            body=_FEED.format(name=name, title=title, date=date, text=text),
            content_type="application/rss+xml",
        )
        lines.append(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\nprimary = {primary}\n'
        )
    (tmp_path / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["poll", "--all"])
    assert result.exit_code == 0, result.output


def test_explain_prints_the_words_behind_each_tag_and_why_each_item_joined(polled: None) -> None:
    developments = json.loads(runner.invoke(app, ["export", "--json"]).stdout)
    assert len(developments) == 1
    development = developments[0]
    result = runner.invoke(app, ["explain", str(development["id"])])
    assert result.exit_code == 0, result.output
    assert "JP" in result.stdout and "METI [agencies" in result.stdout
    assert "export-controls" in result.stdout
    assert "started: no earlier development matched" in result.stdout
    assert "joined: similarity" in result.stdout and "korvane" in result.stdout


def test_explain_json_is_the_evidence_of_the_export(polled: None) -> None:
    development = json.loads(runner.invoke(app, ["export", "--json"]).stdout)[0]
    result = runner.invoke(app, ["explain", str(development["id"]), "--json"])
    assert result.exit_code == 0, result.output
    explanation = json.loads(result.stdout)
    assert explanation == development["evidence"]
    assert set(explanation) == {
        "id",
        "title",
        "jurisdictions",
        "topics",
        "not_tagged",
        "importance",
        "items",
    }
    signals = explanation["jurisdictions"]["JP"]["items"][0]["signals"]
    assert {"term", "where", "kind", "role", "score"} <= set(signals[0])
    assert sorted(i["joined"]["how"] for i in explanation["items"]) == ["joined", "started"]


def test_an_unknown_development_is_one_line_and_exit_2(polled: None) -> None:
    result = runner.invoke(app, ["explain", "99999"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no development 99999"
    assert result.stdout == ""
