"""Parsers per source kind turn response bodies into clean `RawEntry` lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support.sourceserver import fixture_bytes

from bot.sources.parse import ParseError, parse_body

BASE = "https://feeds.example.org/feed"


def test_rss2_entries_are_clean_and_canonical() -> None:
    result = parse_body("feed", fixture_bytes("rss2_synthetic.xml"), url=BASE)
    first, second, third = result.entries
    assert first.guid == "tpw-1001"
    assert first.title == "Commerce tightens AI chip export rules for data centres"
    assert first.url == "https://news.example.org/2026/11/ai-chip-rules?id=7"
    assert "alert(1)" not in first.text and "Comments are due in 60 days." in first.text
    assert first.published == datetime(2026, 11, 24, 19, 30, tzinfo=UTC)
    assert first.author == "Jane Reporter" and first.doc_type == "Export controls"
    assert "AI Research Resource" in second.text, "content:encoded is preferred over description"
    assert third.guid == "https://news.example.org/2026/11/eu-code-of-practice", "link as guid"


def test_govuk_org_atom_uses_the_link_not_the_timestamped_id_as_guid() -> None:
    result = parse_body("feed", fixture_bytes("atom_govuk_org_synthetic.xml"), url=BASE)
    entry = result.entries[0]
    assert (
        entry.guid
        == "https://www.gov.uk/government/news/notice-to-exporters-2026-17-advanced-computing"
    )
    assert entry.published == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    assert entry.doc_type == "Notice"
    assert result.entries[1].published == datetime(2026, 9, 10, 8, 0, tzinfo=UTC), "BST offset"
    assert (
        result.entries[1].text
        == "Changes to open general export licences & guidance for exporters."
    )


def test_rss1_and_json_feed_are_read() -> None:
    rdf = parse_body("feed", fixture_bytes("rss1_synthetic.rdf"), url=BASE).entries
    assert rdf[0].url == "https://meti.example.jp/press/2026/1120_001.html"
    assert rdf[0].published == datetime(2026, 11, 20, 8, tzinfo=UTC)
    items = parse_body("feed", fixture_bytes("jsonfeed_synthetic.json"), url=BASE).entries
    assert [e.guid for e in items] == ["notes-42", "notes-43"]
    assert (
        items[0].url == "https://notes.example.org/posts/42" and items[0].author == "Policy Notes"
    )
    assert items[1].url == "https://notes.example.org/posts/43", "relative to home_page_url"
    assert items[0].text == "MeitY opened a consultation on AI governance guidelines."


def test_bare_ampersand_and_html_entities_are_repaired_not_dropped() -> None:
    result = parse_body("feed", fixture_bytes("malformed_feed_synthetic.xml"), url=BASE)
    assert result.parser == "feedparser" and result.warnings
    entry = result.entries[0]
    assert entry.title == "Budget & tax: export licensing fees rise"
    assert entry.text == "Fees for licences rise — exporters react."
    assert entry.guid == "budget-1"


def test_cp1252_in_a_feed_declared_utf8_is_repaired() -> None:
    entry = parse_body(
        "feed", fixture_bytes("cp1252_declared_utf8_synthetic.xml"), url=BASE
    ).entries[0]
    assert entry.title == "“Sovereign AI” fund – €2bn for compute"
    assert entry.text == "Ministers’ plan for café-sized data centres."


def test_an_empty_feed_is_not_an_error_but_says_so() -> None:
    result = parse_body("feed", fixture_bytes("empty_feed_synthetic.xml"), url=BASE)
    assert result.entries == [] and result.note == "empty feed: no entries"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (fixture_bytes("error_page_synthetic.html"), "an HTML page, not a feed"),
        (b"", "empty response body"),
        (b"   \n", "empty response body"),
        (b"{not json", "malformed JSON feed"),
        (b"\x00\x01garbage that is not xml", "malformed feed"),
    ],
)
def test_things_that_are_not_feeds_are_refused_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_body("feed", body, url=BASE)


def test_xxe_and_entity_expansion_are_not_honoured() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">'
        b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<rss version='2.0'><channel><title>t</title><item><title>&x;&b;</title>"
        b"<link>https://e.org/1</link></item></channel></rss>"
    )
    try:
        entries = parse_body("feed", body, url=BASE).entries
    except ParseError:
        return
    with open("/etc/hostname", encoding="utf-8") as handle:
        hostname = handle.read().strip()
    assert all(hostname not in e.title for e in entries)


def _fr_body(name: str) -> bytes:
    return fixture_bytes(name).replace(b"{base}", b"https://fr.example")


def test_federal_register_documents_and_next_page() -> None:
    result = parse_body("federal_register", _fr_body("fr_bis_page1.json"), url=BASE)
    assert result.next_url is not None and result.next_url.endswith("page=2")
    first = result.entries[0]
    assert first.guid == "2026-20058" and first.doc_type == "Notice"
    assert first.published == datetime(2026, 9, 30, tzinfo=UTC)
    assert first.author == "Commerce Department"
    last = parse_body("federal_register", _fr_body("fr_bis_page2.json"), url=BASE)
    assert last.next_url is None
    numbers = [e.guid for e in last.entries]
    assert "C1-2026-16628" in numbers and "2026-16628" in numbers, "corrections are their own docs"
    diffusion = next(e for e in last.entries if e.guid == "2025-00636")
    assert diffusion.title == "Framework for Artificial Intelligence Diffusion"
    assert "interim final rule" in diffusion.text


def test_federal_register_api_errors_are_reported() -> None:
    body = json.dumps({"errors": {"conditions": {"agencies": ["bad slug"]}}}).encode()
    with pytest.raises(ParseError, match="Federal Register API error"):
        parse_body("federal_register", body, url=BASE)


def test_govuk_search_results() -> None:
    result = parse_body("govuk_search", fixture_bytes("govuk_search_synthetic.json"), url=BASE)
    first, second = result.entries
    assert (
        first.url
        == "https://www.gov.uk/government/publications/ai-opportunities-action-plan-one-year-on"
    )
    assert first.guid == first.url and first.doc_type == "policy_paper"
    assert first.author == "Department for Science, Innovation and Technology"
    assert second.published == datetime(2026, 7, 1, 9, tzinfo=UTC)
    assert second.text == "Seeking views on controlling exports of frontier model weights."


def test_page_gives_one_versionable_entry_of_the_selected_region() -> None:
    url = "https://gov.example/topic?utm_source=x"
    result = parse_body("page", fixture_bytes("page_v1_synthetic.html"), url=url, selector="main")
    (entry,) = result.entries
    assert entry.is_page and entry.guid == entry.url == "https://gov.example/topic"
    assert "deep ultraviolet lithography" in entry.text
    assert "15 January 2025: expanded controls" in entry.text
    assert "cookies" not in entry.text and "Privacy" not in entry.text
    v2 = parse_body("page", fixture_bytes("page_v2_synthetic.html"), url=url, selector="main")
    assert "advanced chip packaging tools" in v2.entries[0].text
    assert v2.entries[0].guid == entry.guid


def test_page_without_selector_uses_main_text_extraction() -> None:
    result = parse_body("page", fixture_bytes("page_v1_synthetic.html"), url="https://g.example/")
    assert "deep ultraviolet lithography" in result.entries[0].text


def test_a_selector_that_matches_nothing_is_an_error() -> None:
    with pytest.raises(ParseError, match="matched nothing"):
        parse_body("page", fixture_bytes("page_v1_synthetic.html"), url=BASE, selector="#gone")


def test_a_json_feed_item_with_control_characters_is_read() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [
            {"id": "1", "url": "https://example.test/1", "title": "Chips\u0007 rule",
             "content_html": "<p>New <b>export\u000c controls</b> on chips.</p>"},
        ],
    }  # fmt: skip
    result = parse_body(
        "feed", json.dumps(feed).encode(), url="https://example.test/feed.json",
        content_type="application/feed+json",
    )  # fmt: skip
    assert [(e.title, e.text) for e in result.entries] == [
        ("Chips rule", "New export controls on chips.")
    ]
