"""feedparser's own test feeds as a reference: what feedparser makes of each, and whether the
project's parsing agrees with it.

Each file of `fixtures/feedparser/` (see its README) opens with a comment naming the HTTP
headers it is meant to be served with (`Header: Content-type: ...`). Agreement, as issue 16
defines it: the same usable entries (those with a title, a link or text), in the same order,
with the same titles (tags stripped, entities decoded, whitespace collapsed) and the same
published time (else updated), to the second. An entry without a title gets the first words of
its text as title in this project (a Slack line needs one): its title is not compared.

Used by tests/bot/test_feed_corpus.py and bench/feed_corpus.py.
"""

from __future__ import annotations

import calendar
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "feedparser"
FOLDERS = ("wellformed", "illformed", "encoding", "entities")

_HEADER = re.compile(r"^\s*Header:\s*([A-Za-z-]+):(.*)$", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")


def corpus_files(root: Path = CORPUS) -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (root / folder).rglob("*.xml"))


def file_headers(body: bytes) -> dict[str, str]:
    """The HTTP headers a test feed is meant to be served with (from its opening comment)."""
    head = body[:4096].decode("latin-1")
    comment_end = head.find("-->")
    return {
        name.lower(): value.strip()
        for name, value in _HEADER.findall(head[: comment_end if comment_end >= 0 else None])
    }


def same_text(value: str, *, markup: bool = True) -> str:
    """A title as compared: tags stripped and entities decoded (when it is `markup`, as
    feedparser's are; the project's are plain text already), whitespace collapsed, NFC."""
    text = html.unescape(_TAG.sub(" ", value)) if markup else value
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Seen:
    """What is compared of one entry."""

    title: str  # as `same_text` gives it; "" when the entry has none
    published: int | None  # seconds since the epoch (published, else updated)


def feedparser_entries(body: bytes, headers: dict[str, str]) -> list[Seen]:
    """feedparser's usable entries of a feed served with `headers`."""
    parsed = feedparser.parse(body, response_headers=headers)
    seen: list[Seen] = []
    for item in parsed.entries:
        title = same_text(item.get("title") or "")
        contents = item.get("content") or []
        text = same_text((contents[0].get("value") or "") if contents else "")
        text = text or same_text(item.get("summary") or "")
        if not (title or text or (item.get("link") or "").strip()):
            continue
        moment = dict.get(item, "published_parsed") or dict.get(item, "updated_parsed")
        seen.append(Seen(title, calendar.timegm(moment) if moment else None))
    return seen


def seen_of(entry: dict[str, Any]) -> Seen:
    """One entry of `policybot sources parse --json` as compared."""
    published = entry.get("published")
    moment = datetime.fromisoformat(published) if published else None
    return Seen(
        same_text(entry["title"], markup=False), int(moment.timestamp()) if moment else None
    )


def disagreement(expected: Sequence[Seen], ours: Sequence[Seen]) -> str | None:
    """Why `ours` differs from feedparser's `expected` entries, or None when they agree."""
    if len(expected) != len(ours):
        return f"{len(ours)} usable entries, feedparser {len(expected)}"
    for index, (want, got) in enumerate(zip(expected, ours, strict=True)):
        if want.title and want.title != got.title:
            return f"entry {index}: title {got.title!r}, feedparser {want.title!r}"
        if want.published != got.published:
            return f"entry {index}: published {got.published}, feedparser {want.published}"
    return None
