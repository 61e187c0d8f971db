"""The sources file: schema, validation messages, the bundled pack, syncing into the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.sources.sources_file import (
    KINDS,
    SourceNameTakenError,
    SourcesFileError,
    SourceSpec,
    add_slack_source,
    load_sources_file,
    parse_sources_text,
    sync_sources,
    validate_source,
)
from store.db import SessionFactory
from store.models import Source

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]

GOOD = """
[[sources]]
name = "bis-federal-register"
kind = "federal_register"
url = "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=industry-and-security-bureau&order=newest"
jurisdictions = ["US"]
topics = []
primary = true
interval_minutes = 30

[[sources]]
name = "nl-page"
kind = "page"
url = "https://www.government.nl/topics/export-controls"
jurisdictions = ["Netherlands", "gb"]
topics = ["export controls"]
primary = true
selector = "main"
"""


def test_a_valid_file_gives_normalised_specs() -> None:
    specs = parse_sources_text(GOOD, path="sources.toml")
    assert [s.name for s in specs] == ["bis-federal-register", "nl-page"]
    assert specs[0].interval_minutes == 30 and specs[0].jurisdictions == ("US",)
    assert specs[1].jurisdictions == ("NL", "UK")
    assert specs[1].topics == ("export-controls",)
    assert specs[1].selector == "main" and specs[1].interval_minutes == 60


def _problems(text: str) -> str:
    with pytest.raises(SourcesFileError) as caught:
        parse_sources_text(text, path="my/sources.toml")
    return str(caught.value)


def test_errors_name_the_file_the_line_the_source_and_the_problem() -> None:
    text = GOOD.replace('kind = "page"', 'kind = "webpage"')
    message = _problems(text)
    line = text.splitlines().index('kind = "webpage"') + 1
    assert f"my/sources.toml:{line}: source 'nl-page': kind 'webpage' is not one of" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('name = "nl-page"', 'name = "NL Page"'), "name must be"),
        (('"Netherlands", "gb"', '"Atlantis"'), "unknown jurisdiction 'Atlantis'"),
        (('["export controls"]', '["weather"]'), "unknown topic 'weather'"),
        (
            ("primary = true\nselector", 'primary = "yes"\nselector'),
            "primary must be true or false",
        ),
        (('selector = "main"', 'selector = "main >>> p"'), "is not valid CSS"),
        (('selector = "main"', 'selector = "main"\nintervall = 5'), "unknown key 'intervall'"),
        (("interval_minutes = 30", "interval_minutes = 1"), "at least 5"),
        (("interval_minutes = 30", "interval_minutes = true"), "whole number"),
        (('url = "https://www.government.nl', 'url = "file:///etc'), "only http and https"),
    ],
)
def test_each_invalid_value_is_reported(change: tuple[str, str], expected: str) -> None:
    assert change[0] in GOOD
    assert expected in _problems(GOOD.replace(change[0], change[1], 1))


def test_missing_required_keys_and_duplicates_are_reported() -> None:
    message = _problems(GOOD.replace('name = "nl-page"', 'name = "bis-federal-register"'))
    assert "source 'bis-federal-register': duplicate name" in message
    message = _problems(GOOD.replace("primary = true\ninterval_minutes = 30", ""))
    assert "missing required key 'primary'" in message


def test_selector_only_for_pages() -> None:
    text = GOOD.replace("interval_minutes = 30", 'interval_minutes = 30\nselector = "main"')
    assert 'selector is only allowed for kind = "page"' in _problems(text)


def test_invalid_toml_names_the_line() -> None:
    message = _problems('[[sources]]\nname = "x"\nkind = \n')
    assert message.startswith("my/sources.toml:3:") and "not valid TOML" in message


def test_every_problem_is_listed_not_just_the_first() -> None:
    text = GOOD.replace('kind = "page"', 'kind = "x"').replace('"US"', '"Mars"')
    assert len(_problems(text).splitlines()) == 2


def test_an_empty_file_is_refused() -> None:
    assert "no [[sources]] entries" in _problems("# nothing\n")


def test_validate_source_is_usable_for_sources_added_from_slack() -> None:
    spec, problems = validate_source(
        {"name": "x-feed", "kind": "feed", "url": "https://x.example/feed", "primary": False}
    )
    assert problems == [] and spec == SourceSpec("x-feed", "feed", "https://x.example/feed", False)


def test_the_bundled_pack_is_valid_and_covers_the_issue() -> None:
    specs, where = load_sources_file(None)
    assert where == "bundled default pack"
    names = {s.name for s in specs}
    assert "bis-federal-register" in names
    assert {"govuk-dsit", "govuk-ecju", "govuk-fcdo"} <= names
    assert {"ec-press-corner", "eurlex-ep-council-acts", "meti-english", "uk-parliament-bills"} <= (
        names
    )
    assert any(not s.primary for s in specs), "news sources are secondary"
    assert all(s.comment for s in specs)
    assert {s.kind for s in specs} <= set(KINDS)
    assert {"US", "UK", "EU", "JP"} <= {j for s in specs for j in s.jurisdictions}


def test_the_repository_working_copy_is_valid() -> None:
    specs, where = load_sources_file(REPO / "sources.toml")
    assert where.endswith("sources.toml") and len(specs) >= 10


def test_a_named_file_that_is_absent_is_an_error_not_the_bundled_pack(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match=r"missing\.toml: cannot read the sources file"):
        load_sources_file(tmp_path / "missing.toml")


def test_a_directory_or_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="cannot read the sources file"):
        load_sources_file(tmp_path)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b"# caf\xe9\n" + GOOD.encode())
    with pytest.raises(SourcesFileError, match=r"latin1\.toml: not UTF-8 text"):
        load_sources_file(latin1)


def test_settings_use_the_bundled_pack_only_when_no_file_was_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=None).sources_file is None  # type: ignore[call-arg]
    (tmp_path / "sources.toml").write_text(GOOD, encoding="utf-8")
    assert Settings(_env_file=None).sources_file == Path("sources.toml")  # type: ignore[call-arg]
    monkeypatch.setenv("POLICYBOT_SOURCES", "sourcse.toml")
    assert Settings(_env_file=None).sources_file == Path("sourcse.toml")  # type: ignore[call-arg]
    monkeypatch.setenv("POLICYBOT_SOURCES", "")
    assert Settings(_env_file=None).sources_file == Path("sources.toml")  # type: ignore[call-arg]


def test_two_sources_with_one_url_are_refused_as_from_slack() -> None:
    twice = GOOD + (
        '\n[[sources]]\nname = "again"\nkind = "federal_register"\n'
        f'url = "{parse_sources_text(GOOD, path="s")[0].url}"\nprimary = true\n'
    )
    assert "duplicate url (first used by source #1)" in _problems(twice)


def test_sync_adds_updates_disables_and_keeps_slack_sources(sessions: SessionFactory) -> None:
    specs = parse_sources_text(GOOD, path="s.toml")
    with sessions() as session:
        session.add(
            Source(name="from-slack", kind="feed", url="https://x.example/f", origin="slack")
        )
        result = sync_sources(session, specs=specs, now=NOW)
        session.commit()
    assert result.added == ["bis-federal-register", "nl-page"]

    with sessions() as session:
        row = session.exec(select(Source).where(Source.name == "bis-federal-register")).one()
        row.etag = '"abc"'
        session.add(row)
        session.commit()

    changed = GOOD.replace("interval_minutes = 30", "interval_minutes = 45")
    only_bis = parse_sources_text(changed.split('[[sources]]\nname = "nl-page"')[0], path="s")
    with sessions() as session:
        result = sync_sources(session, specs=only_bis, now=NOW)
        session.commit()
    assert result.updated == ["bis-federal-register"] and result.disabled == ["nl-page"]
    with sessions() as session:
        rows = {s.name: s for s in session.exec(select(Source)).all()}
    assert rows["bis-federal-register"].interval_minutes == 45
    assert rows["bis-federal-register"].etag == '"abc"', "same URL: validators kept"
    assert rows["nl-page"].enabled is False
    assert rows["from-slack"].enabled is True and rows["from-slack"].origin == "slack"


def test_sync_clears_validators_when_the_url_changes(sessions: SessionFactory) -> None:
    specs = parse_sources_text(GOOD, path="s.toml")
    with sessions() as session:
        sync_sources(session, specs=specs, now=NOW)
        row = session.exec(select(Source).where(Source.name == "nl-page")).one()
        row.etag, row.consecutive_failures = '"old"', 4
        session.commit()
    moved = parse_sources_text(GOOD.replace("topics/export-controls", "topics/chips"), path="s")
    with sessions() as session:
        sync_sources(session, specs=moved, now=NOW)
        session.commit()
    with sessions() as session:
        row = session.exec(select(Source).where(Source.name == "nl-page")).one()
    assert row.etag is None and row.consecutive_failures == 0


def test_a_source_added_from_slack_survives_file_syncs(sessions: SessionFactory) -> None:
    spec, _ = validate_source(
        {"name": "slack-feed", "kind": "feed", "url": "https://s.example/f", "primary": False}
    )
    assert spec is not None
    with sessions() as session:
        add_slack_source(session, spec=spec, added_by="U123", now=NOW)
        session.commit()
        with pytest.raises(SourceNameTakenError):
            add_slack_source(session, spec=spec, added_by="U123", now=NOW)
        session.rollback()
    with sessions() as session:
        sync_sources(session, specs=parse_sources_text(GOOD, path="s"), now=NOW)
        session.commit()
        row = session.exec(select(Source).where(Source.name == "slack-feed")).one()
    assert row.origin == "slack" and row.enabled and row.added_by == "U123"
