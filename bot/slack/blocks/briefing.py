"""Block Kit for the daily briefing: pure functions from briefing data to message payloads.

A payload is `{"text": ..., "blocks": [...]}`, ready for `chat.postMessage`. Every string that
came from outside (titles, summaries, source names, URLs) is escaped, and every text is cut
to Slack's limits at a word, so Slack never rejects a briefing and no feed can ping
`@channel` or forge a link.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from bot.slack.blocks.text import (
    CONTEXT_TEXT_LIMIT,
    FALLBACK_TEXT_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    escape,
    escape_and_truncate,
    link,
    mrkdwn,
    plain_text,
    truncate,
)
from bot.vocab import IMPORTANCE_RANK

Message = dict[str, Any]

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"
TOP_HEADLINES = 3
TITLE_LIMIT = 300  # a title is a headline, not a paragraph
MAX_LISTED_SOURCES = 20
MAX_LINKED_TITLE = 950  # three linked headlines must fit one 3,000-character section


@dataclass(frozen=True)
class SourceLink:
    """One item of a development: where it was reported."""

    url: str
    source: str  # the source's name
    title: str = ""
    primary: bool = True
    new: bool = False  # first seen since the development was last briefed (updates)


@dataclass(frozen=True)
class BriefingEntry:
    """A development as one thread reply shows it."""

    development_id: int
    title: str
    summary: str
    jurisdictions: Sequence[str]
    topics: Sequence[str]
    importance: str
    first_seen_at: datetime
    published_at: datetime | None = None
    links: Sequence[SourceLink] = ()
    revision: int = 1
    update: bool = False
    # The dates it sets, as `bot.developments.timeline` words them: "takes effect 2 August 2026".
    timeline: Sequence[str] = ()

    @property
    def primary_url(self) -> str | None:
        for item in self.links:
            if item.primary and item.url:
                return item.url
        for item in self.links:
            if item.url:
                return item.url
        return None


@dataclass(frozen=True)
class UnreachedSource:
    name: str
    last_error: str | None = None
    last_success_at: datetime | None = None


@dataclass(frozen=True)
class BriefingDigest:
    """What the parent message summarises."""

    day: date
    new: Sequence[BriefingEntry]
    updates: Sequence[BriefingEntry] = ()
    unreached: Sequence[UnreachedSource] = field(default_factory=tuple)


def sort_entries(entries: Sequence[BriefingEntry]) -> list[BriefingEntry]:
    """Most important first; then newest published; then newest first seen."""

    def key(entry: BriefingEntry) -> tuple[int, float, float, int]:
        published = entry.published_at.timestamp() if entry.published_at else 0.0
        return (
            -IMPORTANCE_RANK.get(entry.importance, 0),
            -published,
            -entry.first_seen_at.timestamp(),
            entry.development_id,
        )

    return sorted(entries, key=key)


def _day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _counts(values: Sequence[Sequence[str]]) -> str:
    counter: Counter[str] = Counter(code for codes in values for code in codes)
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return " · ".join(f"{escape(code)} {n}" for code, n in ordered) or "none"


def _title_text(entry: BriefingEntry, *, with_link: bool = True) -> str:
    """The escaped title, linked to the primary source unless the link would not fit."""
    title = truncate(entry.title.strip() or "(untitled)", TITLE_LIMIT)
    url = entry.primary_url
    if with_link and url:
        linked = link(url, title)
        if len(linked) <= MAX_LINKED_TITLE:
            return linked
    return escape_and_truncate(title, TITLE_LIMIT)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def unreached_line(unreached: Sequence[UnreachedSource]) -> str:
    if not unreached:
        return "All sources were reached since the last briefing."
    names = []
    for source in unreached:
        why = f" ({escape(truncate(source.last_error, 80))})" if source.last_error else ""
        names.append(f"{escape(source.name)}{why}")
    return truncate(f"Not reached since the last briefing: {', '.join(names)}", CONTEXT_TEXT_LIMIT)


def _headlines(entries: Sequence[BriefingEntry]) -> str:
    def render(with_link: bool) -> str:
        lines = [
            f"{i}. {_title_text(e, with_link=with_link)} · "
            f"{escape(', '.join(e.jurisdictions) or '—')} · {escape(e.importance)}"
            for i, e in enumerate(entries, start=1)
        ]
        return "*Top headlines*\n" + "\n".join(lines)

    text = render(with_link=True)
    # Cutting mrkdwn could split a link; very long URLs lose their links instead.
    return text if len(text) <= SECTION_TEXT_LIMIT else render(with_link=False)


def parent_message(digest: BriefingDigest) -> Message:
    """The parent: date, counts by jurisdiction and topic, top headlines, updates, footer."""
    new = sort_entries(digest.new)
    n_new, n_upd = len(new), len(digest.updates)
    summary = f"*{_plural(n_new, 'new development')}*"
    if n_upd:
        summary += f" · {_plural(n_upd, 'update')} posted in earlier threads"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain_text(f"AI policy briefing · {_day_label(digest.day)}")},
        {"type": "section", "text": mrkdwn(summary)},
    ]
    if new:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    mrkdwn(
                        "*By jurisdiction*\n" + _counts([e.jurisdictions for e in new]),
                        CONTEXT_TEXT_LIMIT,
                    ),
                    mrkdwn("*By topic*\n" + _counts([e.topics for e in new]), CONTEXT_TEXT_LIMIT),
                ],
            }
        )
        blocks.append({"type": "section", "text": mrkdwn(_headlines(new[:TOP_HEADLINES]))})
        blocks.append(
            {"type": "context", "elements": [mrkdwn("One reply per development in the thread.")]}
        )
    blocks.append({"type": "context", "elements": [mrkdwn(unreached_line(digest.unreached))]})
    headlines = "; ".join(truncate(e.title, 120) for e in new[:TOP_HEADLINES])
    text = f"AI policy briefing for {digest.day.isoformat()}: {_plural(n_new, 'new development')}"
    if n_upd:
        text += f", {_plural(n_upd, 'update')}"
    if headlines:
        text += f". Top: {headlines}"
    return {"text": escape_and_truncate(text, FALLBACK_TEXT_LIMIT), "blocks": blocks}


def quiet_message(digest: BriefingDigest) -> Message:
    """The one line of a day with nothing new and no updates."""
    line = f"AI policy briefing for {digest.day.isoformat()}: nothing new today."
    if digest.unreached:
        names = ", ".join(s.name for s in digest.unreached)
        line += f" Not reached since the last briefing: {names}."
    text = escape_and_truncate(line, SECTION_TEXT_LIMIT)
    return {"text": text, "blocks": [{"type": "section", "text": mrkdwn(text)}]}


def _dates_line(entry: BriefingEntry, tz: tzinfo) -> str:
    parts = []
    if entry.published_at is not None:
        parts.append(f"Published {entry.published_at.astimezone(tz):%Y-%m-%d}")
    parts.append(f"first seen {entry.first_seen_at.astimezone(tz):%Y-%m-%d %H:%M %Z}")
    return " · ".join(parts)


def timeline_text(timeline: Sequence[str]) -> str:
    """ "*Dates:* takes effect 2 August 2026 · due 17 January 2024" (escaped), or ""."""
    shown = [escape(line) for line in timeline if line.strip()]
    return truncate("*Dates:* " + " · ".join(shown), CONTEXT_TEXT_LIMIT) if shown else ""


def _sources_text(links: Sequence[SourceLink]) -> str:
    lines: list[str] = []
    used = len("*Sources*\n")
    shown = 0
    for item in links[:MAX_LISTED_SOURCES]:
        label = item.source if not item.title else f"{item.source}: {truncate(item.title, 120)}"
        kind = "primary" if item.primary else "secondary"
        new = " · new" if item.new else ""
        line = f"• {link(item.url, label) if item.url else escape(label)} ({kind}{new})"
        # Leave room for the "and N more" line instead of cutting a link in half.
        if used + len(line) + 1 > SECTION_TEXT_LIMIT - 40:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    if shown < len(links):
        lines.append(f"…and {len(links) - shown} more")
    return "*Sources*\n" + "\n".join(lines)


def reply_message(entry: BriefingEntry, *, tz: tzinfo) -> Message:
    """One thread reply: linked title, tags, importance, summary, the dates the development
    sets, sources, publication dates."""
    prefix = "*Update:* " if entry.update else ""
    tags = " · ".join(
        [
            escape(", ".join(entry.jurisdictions) or "no jurisdiction"),
            escape(", ".join(entry.topics) or "no topic"),
            f"importance: *{escape(entry.importance)}*",
        ]
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f"{prefix}*{_title_text(entry)}*")},
        {"type": "context", "elements": [mrkdwn(tags, CONTEXT_TEXT_LIMIT)]},
    ]
    if entry.summary.strip():
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(escape_and_truncate(entry.summary, SECTION_TEXT_LIMIT)),
            }
        )
    dates = timeline_text(entry.timeline)
    if dates:
        blocks.append({"type": "context", "elements": [mrkdwn(dates, CONTEXT_TEXT_LIMIT)]})
    if entry.links:
        blocks.append({"type": "section", "text": mrkdwn(_sources_text(entry.links))})
    blocks.append(
        {
            "type": "context",
            "elements": [mrkdwn(escape(_dates_line(entry, tz)), CONTEXT_TEXT_LIMIT)],
        }
    )
    fallback = f"{'Update: ' if entry.update else ''}{truncate(entry.title, TITLE_LIMIT)}"
    fallback += f" ({', '.join(entry.jurisdictions) or '—'}; {entry.importance})"
    if entry.timeline:
        fallback += f"; {'; '.join(entry.timeline)}"
    if entry.summary.strip():
        fallback += f": {entry.summary.strip()}"
    return {
        "text": escape_and_truncate(fallback, FALLBACK_TEXT_LIMIT),
        "blocks": blocks[:MESSAGE_BLOCK_LIMIT],
    }


def block_kit_builder_url(message: Message) -> str:
    """A link that opens `message` in Slack's Block Kit Builder."""
    payload = json.dumps({"blocks": message.get("blocks", [])}, separators=(",", ":"))
    return BLOCK_KIT_BUILDER + quote(payload, safe="")


# -- terminal rendering (dry run, demo) ------------------------------------------------------
_CONTROL = re.compile(r"<([^<>]*)>")


def mrkdwn_as_text(text: str) -> str:
    """`text` as Slack shows it: links as `label (url)`, escapes undone, markers kept."""

    def control(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith("!"):
            return "@" + inner[1:].split("|")[0]
        url, _, label = inner.partition("|")
        return f"{label} ({url})" if label else url

    shown = _CONTROL.sub(control, text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_as_lines(message: Message) -> list[str]:
    """The visible lines of a Block Kit message: header, sections, fields, context."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            lines.append(str(block["text"]["text"]).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(mrkdwn_as_text(str(block["text"]["text"])).splitlines())
            for item in block.get("fields") or []:
                lines.extend(mrkdwn_as_text(str(item["text"])).splitlines())
        elif kind == "context":
            parts = [mrkdwn_as_text(str(e.get("text", ""))) for e in block.get("elements", [])]
            lines.append("  ".join(p for p in parts if p))
    return lines or [mrkdwn_as_text(str(message.get("text", "")))]


def thread_as_text(
    parent: Message | None, replies: Sequence[Message], *, indent: str = "    │ "
) -> str:
    """A briefing thread as plain text: the parent, then each reply indented."""
    if parent is None:
        return "(quiet day: nothing is posted)"
    out = message_as_lines(parent)
    for number, reply in enumerate(replies, start=1):
        out.append("")
        out.append(f"{indent}reply {number}/{len(replies)}")
        out.extend(f"{indent}{line}" for line in message_as_lines(reply))
    return "\n".join(out)
