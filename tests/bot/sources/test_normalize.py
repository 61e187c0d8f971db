"""Canonical URLs, clean text, UTC dates and repaired encodings."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.sources.normalize as normalize
from bot.sources.normalize import (
    canonical_url,
    date_to_utc,
    decode_body,
    html_to_text,
    parse_datetime,
    to_utc,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://Example.ORG:443/a/b?utm_source=x&id=7&fbclid=1#section",
            "https://example.org/a/b?id=7",
        ),
        ("http://example.org:80/x?gclid=abc", "http://example.org/x"),
        ("http://example.org:8080/x?b=2&a=1", "http://example.org:8080/x?b=2&a=1"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a?mc_cid=1&mc_eid=2&_hsenc=3&ref_src=twsrc", "https://example.org/a"),
        (
            "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=x&page=2",
            "https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=x&page=2",
        ),
    ],
)
def test_canonical_url_drops_tracking_and_fragment(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_resolves_relative_links() -> None:
    assert canonical_url("/news/1?utm_medium=rss", base="https://gov.example/feed") == (
        "https://gov.example/news/1"
    )


def test_canonical_url_unescapes_html_entities_in_links() -> None:
    assert canonical_url("https://e.org/a?x=1&amp;y=2") == "https://e.org/a?x=1&y=2"


def test_html_to_text_removes_markup_scripts_and_keeps_paragraphs() -> None:
    html = (
        "<p>First &amp; <b>bold</b>.</p><script>alert('x')</script>"
        "<style>p{}</style><ul><li>One</li><li>Two</li></ul>"
    )
    text = html_to_text(html)
    assert "alert" not in text and "p{}" not in text
    assert "First & bold." in text
    assert text.splitlines().count("One") == 1 and "Two" in text.splitlines()


def test_html_to_text_leaves_plain_text_alone_apart_from_whitespace() -> None:
    assert html_to_text("  a   plain\u00a0text  ") == "a plain text"
    assert html_to_text(None) == ""


def test_html_to_text_does_not_treat_a_less_than_sign_as_markup() -> None:
    assert html_to_text("revenue < 5bn") == "revenue < 5bn"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-24T14:30:00-05:00", datetime(2026, 11, 24, 19, 30, tzinfo=UTC)),
        ("2026-11-24T14:30:00Z", datetime(2026, 11, 24, 14, 30, tzinfo=UTC)),
        ("2026-11-24T14:30:00", datetime(2026, 11, 24, 14, 30, tzinfo=UTC)),
        ("Tue, 24 Nov 2026 14:30:00 GMT", datetime(2026, 11, 24, 14, 30, tzinfo=UTC)),
        ("Tue, 24 Nov 2026 14:30:00 +0100", datetime(2026, 11, 24, 13, 30, tzinfo=UTC)),
        ("Wed, 10 Jun 2026 09:00:00 BST", datetime(2026, 6, 10, 8, 0, tzinfo=UTC)),
        ("Mi, 10 Jun 2026 09:00:00 CEST", datetime(2026, 6, 10, 7, 0, tzinfo=UTC)),
        ("Tue, 24 Nov 2026 09:00:00 EST", datetime(2026, 11, 24, 14, 0, tzinfo=UTC)),
    ],
)
def test_parse_datetime_gives_utc(raw: str, expected: datetime) -> None:
    parsed = parse_datetime(raw)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize("raw", ["", "   ", "yesterday-ish", None])
def test_parse_datetime_gives_none_for_garbage(raw: str | None) -> None:
    assert parse_datetime(raw) is None


def test_a_plain_date_is_midnight_utc() -> None:
    assert date_to_utc("2025-01-15") == datetime(2025, 1, 15, tzinfo=UTC)


def test_to_utc_treats_naive_as_utc() -> None:
    assert to_utc(datetime(2026, 1, 1, 12)) == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_cp1252_bytes_declared_utf8_are_repaired() -> None:
    body = "“Sovereign AI” – €2bn, café".encode("cp1252")
    assert decode_body(body, "text/html; charset=utf-8") == "“Sovereign AI” – €2bn, café"


def test_mixed_utf8_and_cp1252_bytes_are_both_read() -> None:
    body = "café ".encode() + "“quoted”".encode("cp1252")
    assert decode_body(body, "text/plain; charset=utf-8") == "café “quoted”"


def test_latin1_declaration_is_read_as_cp1252() -> None:
    body = "Ministers’ plan".encode("cp1252")
    assert decode_body(body, "text/html; charset=ISO-8859-1") == "Ministers’ plan"


def test_charset_declared_in_the_document_is_used() -> None:
    body = '<?xml version="1.0" encoding="windows-1252"?><a>caf\xe9</a>'.encode("cp1252")
    assert "café" in decode_body(body, None)


def test_byte_order_mark_wins() -> None:
    assert decode_body(b"\xef\xbb\xbfhello", "text/plain; charset=latin-1") == "hello"


def _reference_clean_whitespace(text: str) -> str:
    """clean_whitespace without its shortcuts: every substitution on every line."""
    text = unicodedata.normalize("NFC", normalize.repair_controls(text))
    lines = [
        normalize._SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")
    ]
    return normalize._MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


_PIECES = [*"ab .,<>&;p/", "  ", "\t", "\n", "\r", "\x00", "\x0c", "\xa0", "\u2003", "\u3000"]
_WHITESPACE_HEAVY = st.lists(
    st.sampled_from([*_PIECES, "\u2028", "\x85", "e\u0301", "\u00e9"]), max_size=40
).map("".join)


@given(text=_WHITESPACE_HEAVY)
@settings(max_examples=1000, deadline=None)
def test_clean_whitespace_shortcuts_change_nothing(text: str) -> None:
    assert normalize.clean_whitespace(text) == _reference_clean_whitespace(text)


_PARAGRAPH_TEXT = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(["&amp;", "&lt;", "&#39;", "&nbsp;", "<b>", "</p>", "<br>", "   ", " > "]),
    ),
    max_size=30,
).map("".join)


@given(inner=_PARAGRAPH_TEXT)
@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_plain_paragraph_reads_as_the_html_parser_reads_it(
    inner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    markup = f"<p>{inner}</p>"
    fast = html_to_text(markup)
    with monkeypatch.context() as patch:
        patch.setattr(normalize, "_is_plain_paragraph", lambda _markup: False)
        assert fast == html_to_text(markup)


def test_control_characters_in_html_are_dropped_not_an_error() -> None:
    assert normalize.html_to_text("<p>a\x0cb <b>x</b>\x00</p>") == "ab x"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [("<p>&#1</p>", ""), ("<p>Export &#x1;rules</p><p>apply</p>", "Export rules apply")],
)
def test_a_character_reference_to_a_control_character_is_dropped_not_an_error(
    markup: str, expected: str
) -> None:
    # lxml decodes "&#1" itself and then refuses the text it made (found by hypothesis).
    assert normalize.html_to_text(markup) == expected
