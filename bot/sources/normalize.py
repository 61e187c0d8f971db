"""Normalising what sources send: canonical URLs, clean text, UTC dates, repaired encodings.

Everything a parser hands to ingest goes through here, so the same document reached through a
tracking link, in another time zone or in a mis-declared charset is still the same document.
"""

from __future__ import annotations

import email.utils
import html
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import charset_normalizer
import lxml.html
from lxml import etree

# Query parameters that only say where a click came from; they never select a document.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "cmpid",
        "ocid",
        "s_cid",
        "spm",
        "at_medium",
        "at_campaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_", "oly_")


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """The URL without tracking parameters or fragment, host lower-cased, default port dropped.

    Relative URLs are resolved against `base`. Parameter order is kept (it can matter to the
    server); only tracking keys are removed. Raises `ValueError` for what is not a URL (such as
    `http://[bad/`): the caller decides what that costs.
    """
    raw = html.unescape(url.strip())
    try:
        if base:
            raw = urljoin(base, raw)
        parts = urlsplit(raw)
    except ValueError as exc:
        raise ValueError(f"not a URL: {url.strip()[:200]!r} ({exc})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(query_pairs, doseq=True, safe="[]/:,") if query_pairs else ""
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, query, ""))


_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "header",
    "footer",
    "dd",
    "dt",
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_OTHER_SPACES = re.compile(r"[\t\u00a0\u2000-\u200b\u202f\u205f\u3000]")  # _SPACES but " "
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# C1 controls in text are cp1252 bytes decoded as latin-1 (`don\x92t`): their cp1252 letters.
_C1 = re.compile(r"[\x80-\x9f]")


def _cp1252_letter(match: re.Match[str]) -> str:
    return bytes([ord(match.group())]).decode("cp1252", errors="ignore")


# Tags left at the end of a text (double-escaped markup, `...</body></html>`): never content.
_TRAILING_TAGS = re.compile(r"(?:\s*</?[a-zA-Z][a-zA-Z0-9]*\s*/?>)+\s*$")
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&[a-zA-Z#][a-zA-Z0-9]*;")


def repair_controls(text: str) -> str:
    """Text without C0 control characters, and with C1 ones read as the cp1252 they were."""
    text = _CONTROL.sub("", text)
    return _C1.sub(_cp1252_letter, text) if _C1.search(text) else text


def clean_whitespace(text: str) -> str:
    text = unicodedata.normalize("NFC", repair_controls(text))
    lines = text.replace("\r", "\n").split("\n")
    # Usually every space is a single plain one, which _SPACES would replace by itself, one
    # substitution per word: skip it then (two quick scans instead).
    if "  " in text or _OTHER_SPACES.search(text):
        lines = [_SPACES.sub(" ", line).strip() for line in lines]
    else:
        lines = [line.strip() for line in lines]
    joined = "\n".join(lines)
    return (_MANY_NEWLINES.sub("\n\n", joined) if "\n\n\n" in joined else joined).strip()


def html_to_text(markup: str | None) -> str:
    """Readable plain text from an HTML fragment: no tags, scripts or styles, entities decoded,
    block elements on their own lines."""
    if not markup:
        return ""
    if not _LOOKS_LIKE_HTML.search(markup):
        return clean_whitespace(markup)
    if _is_plain_paragraph(markup):
        # lxml would give "\n" + the paragraph's text + "\n", which cleans to the same.
        return clean_whitespace(markup[3:-4])
    # lxml refuses control characters (ValueError on a node's text), and a hostile or broken
    # feed may send them: they are dropped from the text anyway (`clean_whitespace`).
    # A character reference to one ("&#1") reaches lxml only as the parser decodes it, so a
    # tree that cannot take its own text back falls back to the plain reading too.
    markup = repair_controls(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
        for bad in root.xpath("//script|//style|//noscript|//template"):
            bad.drop_tree()
        for element in root.iter(*_BLOCK_TAGS):
            element.tail = "\n" + (element.tail or "")
            if element.tag != "br":
                element.text = "\n" + (element.text or "")
    except (etree.ParserError, ValueError):
        text = clean_whitespace(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
        return _TRAILING_TAGS.sub("", text)
    text = root.text_content()
    return _TRAILING_TAGS.sub("", clean_whitespace(text))


def _is_plain_paragraph(markup: str) -> bool:
    """`<p>text</p>` where the text is printable ASCII without markup or entities.

    Feeds often send a summary as one such paragraph; the HTML parser keeps its text as is.
    """
    if not (markup.startswith("<p>") and markup.endswith("</p>")):
        return False
    inner = markup[3:-4]
    return inner.isascii() and inner.isprintable() and "<" not in inner and "&" not in inner


def to_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; a naive one is taken to be UTC already (feeds omit zones)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Zone abbreviations seen in government feeds that the standard parsers misread or drop.
_ZONES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 60,
    "IST": 60,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "JST": 540,
    "KST": 540,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}
_NON_ENGLISH_DAYS = re.compile(
    r"^\s*(?:[A-Za-zÀ-ÿ]{2,12}\.?,\s*)(?=\d)",
)
_ZONE_SUFFIX = re.compile(r"\s([A-Z]{1,4})\s*$")


def parse_datetime(value: str | None) -> datetime | None:
    """A UTC datetime from the date forms feeds and APIs use, or None when unreadable.

    Handles ISO 8601 (with or without offset), RFC 822 (with any weekday name, also
    non-English, and zone abbreviations such as BST/CEST), and plain dates (midnight UTC).
    """
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
        parsed = datetime.fromisoformat(iso)
        return to_utc(parsed)
    except ValueError:
        pass
    stripped = _NON_ENGLISH_DAYS.sub("", text)
    zone_minutes: int | None = None
    match = _ZONE_SUFFIX.search(stripped)
    if match and match.group(1) in _ZONES:
        zone_minutes = _ZONES[match.group(1)]
        stripped = stripped[: match.start()] + " +0000"
    try:
        parsed = email.utils.parsedate_to_datetime(stripped)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if zone_minutes is not None:
        parsed = parsed.replace(tzinfo=timezone(timedelta(minutes=zone_minutes)))
    return to_utc(parsed)


def date_to_utc(value: str | None) -> datetime | None:
    """A calendar date (YYYY-MM-DD) as midnight UTC; anything else through `parse_datetime`."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return parse_datetime(value)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    if content_type:
        for part in content_type.split(";")[1:]:
            key, _, val = part.strip().partition("=")
            if key.lower() == "charset" and val:
                return val.strip("\"' ").lower()
    head = body[:2048]
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Text of a response body, repairing a wrong declared charset.

    The declared charset is used when the bytes really are valid in it. UTF-8 that fails to
    decode (typically cp1252 sent as UTF-8) falls back to detection; detection is also used when
    nothing is declared. A byte-order mark always wins.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    declared = declared_charset(body, content_type)
    if declared:
        try:
            text = body.decode(declared)
        except (LookupError, UnicodeDecodeError):
            text = None
        # A latin-1 declaration decodes any bytes; cp1252 is what such servers really send.
        if text is not None and declared in ("iso-8859-1", "latin-1", "latin1", "us-ascii"):
            try:
                return body.decode("cp1252")
            except UnicodeDecodeError:
                return text
        if text is not None:
            return text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    if best is not None and best.encoding not in _WESTERN_SINGLE_BYTE:
        return str(best)
    # Western text that is not UTF-8 is nearly always cp1252, often pasted into UTF-8.
    return _mixed_utf8_cp1252(body)


_WESTERN_SINGLE_BYTE = frozenset(
    {"utf_8", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "ascii"}
)


def _mixed_utf8_cp1252(body: bytes) -> str:
    """Decode UTF-8 where valid and cp1252 where not (servers that paste cp1252 into UTF-8)."""
    out: list[str] = []
    index = 0
    while index < len(body):
        try:
            out.append(body[index:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            out.append(body[index : index + exc.start].decode("utf-8"))
            bad = body[index + exc.start : index + exc.end]
            out.append(bad.decode("cp1252", errors="replace"))
            index += exc.end
    return "".join(out)
