"""One parser per source kind: response bytes in, `RawEntry` list out.

`feed` covers RSS 0.9x/1.0/2.0, Atom and JSON Feed. Well-formed RSS/Atom without a DOCTYPE
takes a fast path through lxml (strict XML, so what it reads is exactly what the publisher
sent); anything else (bare `&`, undefined entities, cp1252 bytes in a UTF-8 feed, truncated
XML, HTML served as a feed) goes through feedparser, which repairs what can be repaired. So
speed never costs correctness: the fast path only sees documents a strict parser accepts.
Both paths produce identical entries for the same well-formed feed (tested).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


class ParseError(Exception):
    """The body is not what the source kind promises; the message says what is wrong."""


@dataclass
class ParseResult:
    entries: list[RawEntry]
    next_url: str | None = None  # federal_register paging
    note: str | None = None  # e.g. "empty feed": not an error, worth showing
    parser: str = ""  # which path parsed it (fast/feedparser/json...), for tests and bench
    warnings: list[str] = field(default_factory=list)


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


# --- feeds ------------------------------------------------------------------------------


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParseResult:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return _parse_json_feed(body, url=url, content_type=content_type)
    fast = _parse_xml_feed_fast(body, url=url)
    if fast is not None:
        return fast
    return _parse_with_feedparser(body, url=url, content_type=content_type)


def _parse_json_feed(body: bytes, *, url: str, content_type: str | None) -> ParseResult:
    try:
        data = json.loads(decode_body(body, content_type))
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON feed: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError("JSON body is not a JSON Feed (no 'items' list)")
    base = data.get("home_page_url") or url
    entries: list[RawEntry] = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or ""
        title = html_to_text(str(item.get("title") or ""))
        html_body = item.get("content_html")
        text = (
            html_to_text(str(html_body))
            if html_body
            else clean_whitespace(str(item.get("content_text") or item.get("summary") or ""))
        )
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = authors[0].get("name") if authors and isinstance(authors[0], dict) else None
        canon = canonical_url(str(link), base=str(base)) if link else ""
        guid = str(item.get("id") or canon or _fallback_guid(title, text))
        entries.append(
            RawEntry(
                guid=guid,
                url=canon,
                title=title or _first_words(text),
                text=_clip(text),
                published=parse_datetime(item.get("date_published")),
                updated=parse_datetime(item.get("date_modified")),
                author=author,
            )
        )
    return _feed_result(entries, parser="jsonfeed")


def _feed_result(entries: list[RawEntry], *, parser: str) -> ParseResult:
    return ParseResult(
        entries=entries, note="empty feed: no entries" if not entries else None, parser=parser
    )


def _first_words(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _xml_parser() -> etree.XMLParser:
    # No entities, no network, no huge trees: nothing in a feed can reach the file system.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False, remove_pis=True
    )


def _parse_xml_feed_fast(body: bytes, *, url: str) -> ParseResult | None:
    """Strict lxml parse of a clean RSS/Atom document, or None to let feedparser handle it."""
    if _DOCTYPE.search(body[:4096]):
        return None
    try:
        root = etree.fromstring(body, parser=_xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    tag = root.tag if isinstance(root.tag, str) else ""
    try:
        if tag == f"{_ATOM}feed":
            return _feed_result(_atom_entries(root, url), parser="fast")
        if tag == "rss":
            channel = root.find("channel")
            if channel is None:
                return None
            return _feed_result(_rss_entries(channel.findall("item"), channel, url), parser="fast")
        if tag.endswith("RDF"):
            channel = root.find(f"{_RSS1}channel")
            entries = _rss_entries(root.findall(f"{_RSS1}item"), channel, url)
            return _feed_result(entries, parser="fast")
    except _FallBack:
        return None
    return None


class _FallBack(Exception):
    """Something the fast path does not handle exactly like feedparser: use feedparser."""


def _text_of(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext())


def _atom_text(element: etree._Element | None) -> str:
    """Plain text of an Atom text construct (text, html or xhtml)."""
    if element is None:
        return ""
    kind = (element.get("type") or "text").lower()
    if kind in ("xhtml", "application/xhtml+xml"):
        return html_to_text("".join(etree.tostring(child, encoding="unicode") for child in element))
    raw = _text_of(element)
    if kind in ("html", "text/html"):
        return html_to_text(raw)
    return html_to_text(raw) if "<" in raw else clean_whitespace(raw)


def _atom_entries(root: etree._Element, url: str) -> list[RawEntry]:
    feed_base = root.get(_XML_BASE) or url
    alternate = _atom_link(root, feed_base)
    base = alternate or feed_base
    entries: list[RawEntry] = []
    for entry in root.iter(f"{_ATOM}entry"):
        entry_base = entry.get(_XML_BASE) or base
        link = _atom_link(entry, entry_base) or ""
        title = _atom_text(entry.find(f"{_ATOM}title"))
        content = entry.find(f"{_ATOM}content")
        text = _atom_text(content) if content is not None and content.get("src") is None else ""
        if not text:
            text = _atom_text(entry.find(f"{_ATOM}summary"))
        raw_id = _text_of(entry.find(f"{_ATOM}id")).strip()
        published = parse_datetime(_text_of(entry.find(f"{_ATOM}published")))
        updated = parse_datetime(_text_of(entry.find(f"{_ATOM}updated")))
        author = _text_of(entry.find(f"{_ATOM}author/{_ATOM}name")).strip() or None
        category = entry.find(f"{_ATOM}category")
        doc_type = (category.get("label") or category.get("term")) if category is not None else None
        entries.append(
            _entry(raw_id, link, title, text, published or updated, updated, author, doc_type)
        )
    return entries


def _atom_link(element: etree._Element, base: str) -> str | None:
    links = element.findall(f"{_ATOM}link")
    for link in links:
        if (link.get("rel") or "alternate") == "alternate" and link.get("href"):
            return canonical_url(link.get("href") or "", base=link.get(_XML_BASE) or base)
    return None


def _rss_entries(
    items: list[etree._Element], channel: etree._Element | None, url: str
) -> list[RawEntry]:
    channel_link = ""
    if channel is not None:
        channel_link = _text_of(channel.find("link")) or _text_of(channel.find(f"{_RSS1}link"))
    base = canonical_url(channel_link.strip() or url, base=url)
    entries: list[RawEntry] = []
    for item in items:
        ns = "" if item.tag == "item" else _RSS1
        # The first child of each tag, as item.find(tag) gives it: one pass instead of ten finds.
        child: dict[Any, etree._Element] = {}
        for element in item:
            child.setdefault(element.tag, element)
        title = html_to_text(_text_of(child.get(f"{ns}title")))
        link_text = _text_of(child.get(f"{ns}link")).strip()
        guid_el = child.get("guid")
        guid = _text_of(guid_el).strip()
        if not link_text and guid_el is not None and guid_el.get("isPermaLink", "true") != "false":
            link_text = guid if guid.startswith(("http://", "https://")) else ""
        if not guid and ns:
            guid = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or ""
        encoded = child.get(_CONTENT_ENCODED)
        description = child.get(f"{ns}description")
        raw_body = _text_of(encoded) if encoded is not None else _text_of(description)
        if encoded is not None and not raw_body.strip():
            raw_body = _text_of(description)
        date_text = _text_of(child.get("pubDate")) or _text_of(child.get(f"{_DC}date"))
        published = parse_datetime(date_text)
        if date_text.strip() and published is None:
            raise _FallBack  # let feedparser's wider date handling try
        author = (_text_of(child.get(f"{_DC}creator")) or _text_of(child.get("author"))).strip()
        category = _text_of(child.get("category")).strip() or None
        link = canonical_url(link_text, base=base) if link_text else ""
        entries.append(
            _entry(
                guid, link, title, html_to_text(raw_body), published, None, author or None, category
            )
        )
    return entries


def _entry(
    raw_id: str,
    link: str,
    title: str,
    text: str,
    published: datetime | None,
    updated: datetime | None,
    author: str | None,
    doc_type: str | None,
) -> RawEntry:
    guid = _stable_guid(raw_id, link) or _fallback_guid(title, text)
    return RawEntry(
        guid=guid,
        url=link,
        title=title or _first_words(text),
        text=_clip(text),
        published=published,
        updated=updated,
        author=author,
        doc_type=doc_type,
    )


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


def _parse_with_feedparser(body: bytes, *, url: str, content_type: str | None) -> ParseResult:
    # No content-location: feedparser would then resolve relative guids into URLs, and the
    # guid must not depend on which path parsed the feed.
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        looks_html = b"<html" in body[:2048].lower()
        what = "an HTML page, not a feed" if looks_html else "not a feed"
        detail = f" ({type(reason).__name__}: {reason})" if reason else ""
        raise ParseError(f"malformed feed: {what}{detail}"[:300])
    feed_link = parsed.feed.get("link") or url
    entries: list[RawEntry] = []
    for item in parsed.entries:
        link = item.get("link") or ""
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
            raw_body = item.get("summary") or item.get("description") or ""
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
        canon = canonical_url(link, base=feed_link) if link else ""
        entries.append(
            _entry(
                str(item.get("id") or ""),
                canon,
                title,
                text,
                published or updated,
                updated,
                item.get("author") or None,
                doc_type,
            )
        )
    result = _feed_result(entries, parser="feedparser")
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        result.warnings.append(f"repaired malformed feed ({type(exc).__name__})")
    return result


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
    entries: list[RawEntry] = []
    for doc in results:
        if not isinstance(doc, dict) or not doc.get("document_number"):
            continue
        number = str(doc["document_number"])
        link = doc.get("html_url") or (
            f"https://www.federalregister.gov/d/{number}" if number else ""
        )
        title = clean_whitespace(str(doc.get("title") or ""))
        parts = [
            str(doc.get(key) or "").strip()
            for key in ("action", "abstract", "dates")
            if doc.get(key)
        ]
        text = html_to_text("\n\n".join(parts))
        agencies = [
            str(a.get("name") or a.get("raw_name"))
            for a in doc.get("agencies") or []
            if isinstance(a, dict) and (a.get("name") or a.get("raw_name"))
        ]
        extra = {
            key: str(doc[key])
            for key in ("citation", "effective_on", "comments_close_on", "correction_of")
            if doc.get(key)
        }
        if agencies:
            extra["agencies"] = "; ".join(agencies)
        entries.append(
            RawEntry(
                guid=number,
                url=canonical_url(str(link)),
                title=title or number,
                text=_clip(text),
                published=date_to_utc(doc.get("publication_date")),
                author=agencies[0] if agencies else None,
                doc_type=str(doc.get("type")) if doc.get("type") else None,
                extra=extra,
            )
        )
    next_url = data.get("next_page_url")
    return ParseResult(
        entries=entries,
        next_url=str(next_url) if next_url else None,
        note="empty result: no documents" if not entries else None,
        parser="federal_register",
    )


def parse_govuk_search(body: bytes, *, url: str, content_type: str | None = None) -> ParseResult:
    """GOV.UK Search API: `results[]` with `link` (a path), `title`, `description`,
    `public_timestamp` (with a UK offset)."""
    data = _load_json(body, content_type, "GOV.UK Search API")
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ParseError("GOV.UK Search API response has no results list")
    entries: list[RawEntry] = []
    for result in data["results"]:
        if not isinstance(result, dict) or not result.get("link"):
            continue
        link = str(result["link"])
        absolute = canonical_url(link, base="https://www.gov.uk/")
        organisations = [
            str(o.get("title") or o.get("acronym") or "")
            for o in result.get("organisations") or []
            if isinstance(o, dict)
        ]
        entries.append(
            RawEntry(
                guid=absolute,
                url=absolute,
                title=clean_whitespace(str(result.get("title") or link)),
                text=_clip(html_to_text(str(result.get("description") or ""))),
                published=parse_datetime(result.get("public_timestamp")),
                author=organisations[0] if organisations and organisations[0] else None,
                doc_type=str(
                    result.get("content_store_document_type") or result.get("format") or ""
                )
                or None,
                extra={"organisations": "; ".join(o for o in organisations if o)}
                if organisations
                else {},
            )
        )
    return ParseResult(
        entries=entries,
        note="empty result: no documents" if not entries else None,
        parser="govuk_search",
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
    title = clean_whitespace(_text_of(document.find(".//title")))
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
    canon = canonical_url(url)
    entry = RawEntry(
        guid=canon,
        url=canon,
        title=title or _first_words(text),
        text=_clip(text),
        is_page=True,
    )
    return ParseResult(entries=[entry], parser="page")
