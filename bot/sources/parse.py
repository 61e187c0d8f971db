"""One parser per source kind: response bytes in, `RawEntry` list out.

`feed` covers RSS 0.9x/1.0/2.0, Atom and JSON Feed. RSS, Atom and RDF are read by feedparser
alone, given the response's content type (its charset outranks the XML declaration, as HTTP
says): it repairs what can be repaired (bare `&`, undefined entities, cp1252 in UTF-8,
truncated XML) and knows the many dialects. This module only maps its entries to `RawEntry`.

Every kind reads entry by entry: an entry that cannot be used (no title, link or text; a link
that is not a URL; a field of the wrong type) is left out with a reason in
`ParseResult.skipped`, and never costs the other entries. A body from which nothing usable
comes is a `ParseError`, so the source shows as failing rather than "ok".
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import feedparser
import lxml.html
import trafilatura
from cssselect import GenericTranslator
from lxml import etree

from bot.sources.entries import RawEntry
from bot.sources.normalize import (
    canonical_url,
    clean_whitespace,
    date_to_utc,
    decode_body,
    html_to_text,
    parse_datetime,
)

MAX_TEXT_CHARS = 50_000
NOTHING_USABLE = "no title, link or text"


class ParseError(Exception):
    """The body is not what the source kind promises; the message says what is wrong."""


class SkippedEntry(Exception):
    """One entry cannot be used; the message says why. The body's other entries still count."""


@dataclass
class ParseResult:
    entries: list[RawEntry]
    next_url: str | None = None  # federal_register paging
    note: str | None = None  # e.g. "empty feed": not an error, worth showing
    parser: str = ""  # which parser read it (feedparser/jsonfeed/page...), for tests and bench
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one reason per entry left out

    @property
    def notes(self) -> list[str]:
        """What to show beside an "ok": the note, the warnings, and what was skipped."""
        skipped = [describe_skipped(self.skipped)] if self.skipped else []
        return [n for n in [self.note, *self.warnings, *skipped] if n]


def describe_skipped(reasons: Iterable[str]) -> str:
    """`3 entries skipped (no title, link or text ×2; bad link: ...)`, at most 300 characters."""
    counts = Counter(reasons)
    total = sum(counts.values())
    parts = [f"{reason} ×{n}" if n > 1 else reason for reason, n in counts.most_common()]
    noun = "entry" if total == 1 else "entries"
    text = f"{total} {noun} skipped ({'; '.join(parts)})"
    return text if len(text) <= 300 else text[:299] + "…"


def parse_body(
    kind: str,
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    selector: str | None = None,
) -> ParseResult:
    """Parse one response body of a source of `kind` fetched from `url`."""
    if not body.strip():
        raise ParseError("empty response body")
    if kind == "feed":
        return parse_feed(body, url=url, content_type=content_type)
    if kind == "federal_register":
        return parse_federal_register(body, url=url, content_type=content_type)
    if kind == "govuk_search":
        return parse_govuk_search(body, url=url, content_type=content_type)
    if kind == "page":
        return parse_page(body, url=url, content_type=content_type, selector=selector)
    raise ParseError(f"unknown source kind {kind!r}")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS].rstrip() + "…"


def _fallback_guid(*parts: str) -> str:
    return "sha1:" + hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


# --- entry by entry -----------------------------------------------------------------------

_Item = TypeVar("_Item")


def read_entries(
    items: Iterable[_Item], build: Callable[[_Item], RawEntry]
) -> tuple[list[RawEntry], list[str]]:
    """`build` applied to each item: the usable entries, and a reason for each left out."""
    entries: list[RawEntry] = []
    skipped: list[str] = []
    for item in items:
        try:
            entry = build(item)
        except SkippedEntry as exc:
            skipped.append(str(exc))
            continue
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # Data this code did not foresee: that entry is lost, with the reason, not the rest.
            skipped.append(f"{type(exc).__name__}: {exc}"[:200])
            continue
        if not (entry.title.strip() or entry.url or entry.text.strip()):
            skipped.append(NOTHING_USABLE)
            continue
        entries.append(entry)
    return entries, skipped


def field_text(record: Mapping[str, Any], key: str) -> str:
    """A text field of a JSON record ("" when absent); a list, object or boolean costs the entry."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SkippedEntry(f"{key} is a JSON {type(value).__name__}, not text")
    return str(value)


def field_date(
    record: Mapping[str, Any],
    key: str,
    read: Callable[[str], datetime | None] = parse_datetime,
) -> datetime | None:
    """A date field of a JSON record (None when absent); an unreadable one costs the entry."""
    text = field_text(record, key).strip()
    if not text:
        return None
    moment = read(text)
    if moment is None:
        raise SkippedEntry(f"unreadable {key} {text[:40]!r}")
    return moment


def entry_url(link: str, base: str | None = None) -> str:
    """The canonical URL of an entry's link ("" for none); a link that is no URL costs it."""
    if not link.strip():
        return ""
    try:
        return canonical_url(link, base=base)
    except ValueError as exc:
        raise SkippedEntry(f"bad link: {exc}") from None


def _base_url(link: str, url: str) -> str:
    """What relative links are read against: the feed's own link when it has a usable one."""
    try:
        return canonical_url(link, base=url) if link.strip() else url
    except ValueError:
        return url


# --- feeds ------------------------------------------------------------------------------


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParseResult:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return _parse_json_feed(body, url=url, content_type=content_type)
    return _parse_with_feedparser(body, url=url, content_type=content_type)


def _parse_json_feed(body: bytes, *, url: str, content_type: str | None) -> ParseResult:
    try:
        data = json.loads(decode_body(body, content_type))
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON feed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError("JSON body is not a JSON Feed (no 'items' list)")
    base = _base_url(str(data.get("home_page_url") or ""), url)
    entries, skipped = read_entries(data["items"], lambda item: _json_feed_entry(item, base))
    return _feed_result(entries, skipped, parser="jsonfeed")


def _json_feed_entry(item: Any, base: str) -> RawEntry:
    if not isinstance(item, dict):
        raise SkippedEntry(f"item is a JSON {type(item).__name__}, not an object")
    link = field_text(item, "url") or field_text(item, "external_url")
    title = html_to_text(field_text(item, "title"))
    html_body = field_text(item, "content_html")
    text = (
        html_to_text(html_body)
        if html_body
        else clean_whitespace(field_text(item, "content_text") or field_text(item, "summary"))
    )
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    first_author = authors[0] if isinstance(authors, list) and authors else None
    author = field_text(first_author, "name") if isinstance(first_author, dict) else ""
    canon = entry_url(link, base)
    return RawEntry(
        guid=field_text(item, "id") or canon or _fallback_guid(title, text),
        url=canon,
        title=title or _first_words(text),
        text=_clip(text),
        published=field_date(item, "date_published"),
        updated=field_date(item, "date_modified"),
        author=author or None,
    )


def _feed_result(
    entries: list[RawEntry], skipped: list[str], *, parser: str, damage: str | None = None
) -> ParseResult:
    """The entries of a feed; a feed with entries of which none is usable, or a damaged one
    from which nothing was recovered, is an error (the source failed), not an empty feed."""
    if not entries and skipped:
        raise ParseError(f"nothing usable in the feed: {describe_skipped(skipped)}")
    if not entries and damage:
        raise ParseError(f"malformed feed, nothing usable recovered ({damage})"[:300])
    result = ParseResult(
        entries=entries,
        note="empty feed: no entries" if not entries else None,
        parser=parser,
        skipped=skipped,
    )
    if damage:
        result.warnings.append(f"repaired malformed feed ({damage.split(':')[0]})")
    return result


def _first_words(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _stable_guid(raw_id: str, link: str) -> str:
    """The entry id, except where the publisher puts the update time in it.

    GOV.UK organisation feeds use `<url>#<timestamp>` as the Atom id, so an edited page would
    look like a new entry; the link alone is the stable identity there.
    """
    raw_id = raw_id.strip()
    if link and raw_id.startswith(link.split("#")[0] + "#"):
        return link
    if raw_id:
        return raw_id
    return link


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


# What feedparser flags about a feed it read in full (a charset or content type that differs
# from the declared one): not damage to the feed.
_NOTICES = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _parse_with_feedparser(body: bytes, *, url: str, content_type: str | None) -> ParseResult:
    # The content type only: with a content-location, feedparser would resolve relative guids
    # into URLs, and stored identities must not change (relative links are resolved below).
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version and not parsed.entries:
        looks_html = b"<html" in body[:2048].lower()
        what = "an HTML page, not a feed" if looks_html else "not a feed"
        detail = f" ({type(problem).__name__}: {problem})" if problem else ""
        raise ParseError(f"malformed feed: {what}{detail}"[:300])
    damage = (
        f"{type(problem).__name__}: {problem}"
        if problem is not None and not isinstance(problem, _NOTICES)
        else None
    )
    base = _base_url(str(parsed.feed.get("link") or ""), url)
    entries, skipped = read_entries(parsed.entries, lambda item: _feedparser_entry(item, base))
    return _feed_result(entries, skipped, parser="feedparser", damage=damage)


def _feedparser_entry(item: Any, base: str) -> RawEntry:
    """One of feedparser's entries as a `RawEntry` (links resolved against `base`)."""
    title_detail = item.get("title_detail") or {}
    raw_title = item.get("title") or ""
    title = (
        html_to_text(raw_title)
        if "html" in str(title_detail.get("type", "")) or "<" in raw_title
        else clean_whitespace(raw_title)
    )
    contents = item.get("content") or []
    raw_body = contents[0].get("value", "") if contents else ""
    if not raw_body.strip():
        # Not `description`: feedparser maps it to `subtitle` (itunes:subtitle) when there is
        # no summary, and a subtitle alone is not an entry's text.
        raw_body = item.get("summary") or ""
    text = html_to_text(raw_body)
    # dict.get: feedparser's own get() maps a missing `published` to `updated`, with a
    # deprecation warning; the two are kept apart here.
    published = parse_datetime(dict.get(item, "published")) or _struct_to_utc(
        dict.get(item, "published_parsed")
    )
    updated = parse_datetime(dict.get(item, "updated")) or _struct_to_utc(
        dict.get(item, "updated_parsed")
    )
    tags = item.get("tags") or []
    doc_type = (tags[0].get("label") or tags[0].get("term")) if tags else None
    link = entry_url(str(item.get("link") or ""), base)
    guid = _stable_guid(str(item.get("id") or ""), link) or _fallback_guid(title, text)
    return RawEntry(
        guid=guid,
        url=link,
        title=title or _first_words(text),
        text=_clip(text),
        published=published or updated,
        updated=updated,
        author=item.get("author") or None,
        doc_type=doc_type or None,
    )


# --- JSON APIs ----------------------------------------------------------------------------


def _load_json(body: bytes, content_type: str | None, what: str) -> Any:
    try:
        return json.loads(decode_body(body, content_type))
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed {what} JSON: {exc}") from None


def parse_federal_register(
    body: bytes, *, url: str, content_type: str | None = None
) -> ParseResult:
    """`documents.json`: `results[]` (one entry per document) and `next_page_url`."""
    data = _load_json(body, content_type, "Federal Register")
    if not isinstance(data, dict):
        raise ParseError("Federal Register response is not a JSON object")
    if "errors" in data and "results" not in data:
        raise ParseError(f"Federal Register API error: {str(data['errors'])[:200]}")
    results = data.get("results", [])
    if not isinstance(results, list):
        raise ParseError("Federal Register response has no results list")
    entries, skipped = read_entries(results, _federal_register_entry)
    if not entries and skipped:
        raise ParseError(f"no usable document: {describe_skipped(skipped)}")
    next_url = data.get("next_page_url")
    return ParseResult(
        entries=entries,
        next_url=str(next_url) if next_url else None,
        note="empty result: no documents" if not entries else None,
        parser="federal_register",
        skipped=skipped,
    )


def _federal_register_entry(doc: Any) -> RawEntry:
    if not isinstance(doc, dict):
        raise SkippedEntry(f"result is a JSON {type(doc).__name__}, not an object")
    number = field_text(doc, "document_number").strip()
    if not number:
        raise SkippedEntry("no document_number")
    link = field_text(doc, "html_url") or f"https://www.federalregister.gov/d/{number}"
    title = clean_whitespace(field_text(doc, "title"))
    parts = [field_text(doc, key).strip() for key in ("action", "abstract", "dates")]
    text = html_to_text("\n\n".join(part for part in parts if part))
    raw_agencies = doc.get("agencies") or []
    agencies = [
        str(a.get("name") or a.get("raw_name"))
        for a in (raw_agencies if isinstance(raw_agencies, list) else [])
        if isinstance(a, dict) and (a.get("name") or a.get("raw_name"))
    ]
    extra = {
        key: field_text(doc, key)
        for key in ("citation", "effective_on", "comments_close_on", "correction_of")
        if doc.get(key)
    }
    if agencies:
        extra["agencies"] = "; ".join(agencies)
    return RawEntry(
        guid=number,
        url=entry_url(link),
        title=title or number,
        text=_clip(text),
        published=field_date(doc, "publication_date", date_to_utc),
        author=agencies[0] if agencies else None,
        doc_type=field_text(doc, "type") or None,
        extra=extra,
    )


def parse_govuk_search(body: bytes, *, url: str, content_type: str | None = None) -> ParseResult:
    """GOV.UK Search API: `results[]` with `link` (a path), `title`, `description`,
    `public_timestamp` (with a UK offset)."""
    data = _load_json(body, content_type, "GOV.UK Search API")
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ParseError("GOV.UK Search API response has no results list")
    entries, skipped = read_entries(data["results"], _govuk_search_entry)
    if not entries and skipped:
        raise ParseError(f"no usable result: {describe_skipped(skipped)}")
    return ParseResult(
        entries=entries,
        note="empty result: no documents" if not entries else None,
        parser="govuk_search",
        skipped=skipped,
    )


def _govuk_search_entry(result: Any) -> RawEntry:
    if not isinstance(result, dict):
        raise SkippedEntry(f"result is a JSON {type(result).__name__}, not an object")
    link = field_text(result, "link")
    if not link.strip():
        raise SkippedEntry("no link")
    absolute = entry_url(link, "https://www.gov.uk/")
    raw_organisations = result.get("organisations") or []
    organisations = [
        str(o.get("title") or o.get("acronym") or "")
        for o in (raw_organisations if isinstance(raw_organisations, list) else [])
        if isinstance(o, dict)
    ]
    named = [o for o in organisations if o]
    doc_type = field_text(result, "content_store_document_type") or field_text(result, "format")
    return RawEntry(
        guid=absolute,
        url=absolute,
        title=clean_whitespace(field_text(result, "title") or link),
        text=_clip(html_to_text(field_text(result, "description"))),
        published=field_date(result, "public_timestamp"),
        author=organisations[0] if organisations and organisations[0] else None,
        doc_type=doc_type or None,
        extra={"organisations": "; ".join(named)} if organisations else {},
    )


# --- pages --------------------------------------------------------------------------------


def parse_page(
    body: bytes, *, url: str, content_type: str | None = None, selector: str | None = None
) -> ParseResult:
    """One entry for a watched page: the main text of the page (or of the selected region)."""
    markup = decode_body(body, content_type)
    try:
        document = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    title_element = document.find(".//title")
    title = clean_whitespace(title_element.text_content() if title_element is not None else "")
    region_markup = markup
    if selector:
        xpath = GenericTranslator().css_to_xpath(selector)
        found = document.xpath(xpath)
        if not found:
            raise ParseError(f"selector {selector!r} matched nothing on the page")
        region_markup = "".join(
            lxml.html.tostring(node, encoding="unicode") for node in found if hasattr(node, "tag")
        )
        region_markup = f"<html><body>{region_markup}</body></html>"
    text = trafilatura.extract(
        region_markup,
        favor_recall=True,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
    )
    if not text:
        # Very small regions defeat trafilatura's heuristics; their plain text is the content.
        text = html_to_text(region_markup)
    text = clean_whitespace(text)
    if not text:
        raise ParseError("the page has no readable text")
    try:
        canon = canonical_url(url)
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    entry = RawEntry(
        guid=canon,
        url=canon,
        title=title or _first_words(text),
        text=_clip(text),
        is_page=True,
    )
    return ParseResult(entries=[entry], parser="page")
