"""Feeds are read as feedparser reads them, and every kind reads entry by entry: an unusable
entry is left out with its reason, never at the cost of the good ones beside it (issue 16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.sources.parse import NOTHING_USABLE, ParseError, describe_skipped, parse_body

BASE = "https://feeds.example.org/feed"


def _rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{declaration}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/"><channel><title>t</title>'
        f"<link>https://news.example.org/</link>{items}</channel></rss>"
    )


def test_the_http_charset_outranks_the_xml_declaration() -> None:
    latin1 = '<?xml version="1.0" encoding="iso-8859-1"?>'
    cp1252 = _rss("<item><title>This is a £“test.”</title></item>", declaration=latin1)
    entry = parse_body(
        "feed", cp1252.encode("cp1252"), url=BASE, content_type="text/xml; charset=windows-1252"
    ).entries[0]
    assert entry.title == "This is a £“test.”"
    utf8 = _rss("<item><title>Dérogation — règlement</title></item>", declaration=latin1)
    entry = parse_body(
        "feed", utf8.encode("utf-8"), url=BASE, content_type="application/xml; charset=utf-8"
    ).entries[0]
    assert entry.title == "Dérogation — règlement"


def test_c1_control_characters_are_read_as_the_cp1252_letters_they_were() -> None:
    body = _rss(
        "<item><title>Ministers\x92 plan</title><description>It\x92s \x93new\x94\x07.</description>"
        "</item>",
        declaration='<?xml version="1.0" encoding="iso-8859-1"?>',
    ).encode("latin-1")
    entry = parse_body("feed", body, url=BASE).entries[0]
    assert (entry.title, entry.text) == ("Ministers’ plan", "It’s “new”.")


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            "<item><dc:title>Chip rule</dc:title><dc:description>Export controls.</dc:description>"
            "<link>/a</link><dcterms:issued>2025-01-15T10:00:00Z</dcterms:issued></item>",
            ("Chip rule", "https://news.example.org/a", "Export controls.", datetime(2025, 1, 15, 10)),
        ),
        (
            "<item><title>Guidance</title><link>https://e.org/g</link>"
            "<dcterms:modified>2025-02-01T08:30:00+01:00</dcterms:modified></item>",
            ("Guidance", "https://e.org/g", "", datetime(2025, 2, 1, 7, 30)),
        ),
    ],
)  # fmt: skip
def test_dublin_core_titles_texts_and_dates_are_read(
    items: str, expected: tuple[str, str, str, datetime]
) -> None:
    entry = parse_body("feed", _rss(items).encode(), url=BASE).entries[0]
    title, url, text, published = expected
    assert (entry.title, entry.url, entry.text) == (title, url, text)
    assert entry.published == published.replace(tzinfo=UTC)


def test_rss_090_entries_are_read() -> None:
    body = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title>'
        b"<link>https://old.example.org/</link><description>d</description></channel>"
        b"<item><title>Consultation opens</title><link>https://old.example.org/c</link></item>"
        b"</rdf:RDF>"
    )
    (entry,) = parse_body("feed", body, url=BASE).entries
    assert (entry.title, entry.url) == ("Consultation opens", "https://old.example.org/c")


def test_atom_base64_content_last_updated_and_relative_xml_base() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://gov.example/news/">'
        b'<title>t</title><entry xml:base="2025/"><title>Rule</title><link href="rule.html"/>'
        b"<id>urn:rule</id><updated>2010-12-01T10:14:55Z</updated>"
        b"<updated>2025-03-04T05:06:07Z</updated></entry></feed>"
    )
    (entry,) = parse_body("feed", body, url=BASE).entries
    assert entry.url == "https://gov.example/news/2025/rule.html"
    assert entry.published == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    atom03 = (
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title>Plan</title>'
        b'<content type="text/plain" mode="base64">QUkgYWN0aW9uIHBsYW4gcHVibGlzaGVk</content>'
        b"</entry></feed>"
    )
    assert parse_body("feed", atom03, url=BASE).entries[0].text == "AI action plan published"


def test_an_entry_with_a_bad_link_is_skipped_and_the_good_ones_kept() -> None:
    body = _rss(
        "<item><title>Good one</title><link>https://e.org/1</link></item>"
        "<item><title>Broken</title><link>http://[bad/</link></item>"
        "<item><title>Good two</title><link>https://e.org/2</link></item>"
    ).encode()
    result = parse_body("feed", body, url=BASE)
    assert [e.title for e in result.entries] == ["Good one", "Good two"]
    (reason,) = result.skipped
    assert reason.startswith("bad link: not a URL: 'http://[bad/'")
    assert "1 entry skipped (bad link" in "; ".join(result.notes)


def test_entries_with_no_title_link_or_text_are_skipped_with_the_reason() -> None:
    body = _rss(
        "<item><title>Kept</title></item><item><guid isPermaLink='false'>x</guid></item>"
        "<item><description>   </description></item>"
    ).encode()
    result = parse_body("feed", body, url=BASE)
    assert [e.title for e in result.entries] == ["Kept"]
    assert result.skipped == [NOTHING_USABLE, NOTHING_USABLE]
    assert describe_skipped(result.skipped) == "2 entries skipped (no title, link or text ×2)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<rss><channel><item><title>oops", "nothing usable in the feed: 1 entry skipped"),
        (b"<rss><channel><title>cut off", "malformed feed, nothing usable recovered"),
        (_rss("<item><guid isPermaLink='false'>a</guid></item>").encode(), "nothing usable"),
    ],
)
def test_a_feed_from_which_nothing_usable_comes_is_an_error_not_an_empty_feed(
    body: bytes, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        parse_body("feed", body, url=BASE)


def test_text_never_ends_in_stray_markup() -> None:
    body = _rss(
        "<item><title>T</title><description>&lt;p&gt;safe description&amp;lt;/body&amp;gt;"
        "&amp;lt;/html&amp;gt;&lt;/p&gt;</description></item>"
    ).encode()
    assert parse_body("feed", body, url=BASE).entries[0].text == "safe description"


# --- the JSON kinds ---------------------------------------------------------------------


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def test_federal_register_a_bad_field_costs_that_document_only() -> None:
    good = {"document_number": "2025-1", "title": "Rule", "publication_date": "2025-01-15"}
    results = [
        good,
        {"document_number": "2025-2", "title": {"nested": "no"}},
        {"document_number": "2025-3", "title": "Dated", "publication_date": "someday"},
        {"title": "No number"},
        "not an object",
        {"document_number": "2025-4", "title": "Link", "html_url": "http://[bad/"},
    ]
    result = parse_body("federal_register", _json({"results": results}), url=BASE)
    assert [e.guid for e in result.entries] == ["2025-1"]
    assert result.entries[0].published == datetime(2025, 1, 15, tzinfo=UTC)
    assert result.skipped == [
        "title is a JSON dict, not text",
        "unreadable publication_date 'someday'",
        "no document_number",
        "result is a JSON str, not an object",
        "bad link: not a URL: 'http://[bad/' (Invalid IPv6 URL)",
    ]
    with pytest.raises(ParseError, match="no usable document: 1 entry skipped"):
        parse_body("federal_register", _json({"results": results[3:4]}), url=BASE)


def test_govuk_search_a_bad_field_costs_that_result_only() -> None:
    results = [
        {"link": "/guidance/a", "title": "A", "public_timestamp": "2025-07-01T10:00:00+01:00"},
        {"link": "/guidance/b", "title": "B", "public_timestamp": "soon"},
        {"link": ["/c"], "title": "C"},
        {"title": "no link"},
    ]
    result = parse_body("govuk_search", _json({"results": results}), url=BASE)
    assert [e.url for e in result.entries] == ["https://www.gov.uk/guidance/a"]
    assert result.entries[0].published == datetime(2025, 7, 1, 9, tzinfo=UTC)
    assert result.skipped == [
        "unreadable public_timestamp 'soon'",
        "link is a JSON list, not text",
        "no link",
    ]


def test_json_feed_a_bad_item_costs_that_item_only() -> None:
    items = [
        {"id": "1", "url": "https://notes.example/1", "title": "Kept"},
        {"id": "2", "url": "https://notes.example/2", "title": ["list"]},
        {"id": "3", "url": "https://notes.example/3", "date_published": "yesterday"},
        42,
        {"id": "5"},
    ]
    result = parse_body("feed", _json({"version": "1.1", "items": items}), url=BASE)
    assert [e.guid for e in result.entries] == ["1"]
    assert result.skipped == [
        "title is a JSON list, not text",
        "unreadable date_published 'yesterday'",
        "item is a JSON int, not an object",
        NOTHING_USABLE,
    ]


def test_a_page_with_no_readable_text_is_an_error_with_the_reason() -> None:
    with pytest.raises(ParseError, match="no readable text"):
        parse_body("page", b"<html><body><script>x()</script></body></html>", url=BASE)
