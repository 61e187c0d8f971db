"""Block Kit for the other `/policy` replies: help, sources, status and short notices.

Pure functions from plain data to response payloads; outside text (source names, URLs, errors,
words a person typed) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.blocks.text import (
    FALLBACK_TEXT_LIMIT,
    escape,
    escape_and_truncate,
    mrkdwn,
    truncate,
)
from bot.vocab import JURISDICTIONS, TOPICS

HELP_LINES: tuple[tuple[str, str], ...] = (
    ("ask QUESTION", "a cited answer from what policybot tracks"),
    ("latest [JURISDICTION…] [TOPIC…]", "the newest developments, filtered"),
    ("search TERMS", "matching developments, newest first"),
    ("subscribe JURISDICTION… [TOPIC…] [instant|daily] [here]", "alerts (DM, or `here`)"),
    ("unsubscribe JURISDICTION…|all [here]", "stop alerts"),
    ("subscriptions", "what you (or this channel) follow"),
    ("sources", "watched sources and their health"),
    ("sources add URL [KIND] [JURISDICTION…]", "admins: watch a new source"),
    ("sources remove NAME", "admins: stop watching a source"),
    ("status", "last poll per source, failures, next briefing"),
)

EXAMPLES = (
    "/policy ask what changed in UK AI export rules this week?",
    "/policy ask any new Dutch chip rules?",
    "/policy latest US export-controls",
    "/policy search gallium",
    "/policy subscribe UK EU export-controls daily",
)


def notice(text: str, *, response_type: str = "ephemeral") -> dict[str, Any]:
    """A one-section reply; `text` must already be escaped where it holds outside text."""
    return {
        "response_type": response_type,
        "text": truncate(text, FALLBACK_TEXT_LIMIT),
        "blocks": [{"type": "section", "text": mrkdwn(text)}],
    }


def help_message(*, intro: str | None = None) -> dict[str, Any]:
    """The grammar with examples; `intro` (already escaped) goes first, e.g. "did you mean"."""
    grammar = "\n".join(f"• `/policy {usage}`: {what}" for usage, what in HELP_LINES)
    vocab = (
        f"Jurisdictions: {', '.join(JURISDICTIONS)} (or names: Britain, Dutch, …). "
        f"Topics: {', '.join(TOPICS)}. Time words in questions: today, yesterday, this week, "
        'last month, since 1 March, in January 2025, last 30 days. "This week" is the last '
        '7 days whatever the weekday and "last week" the 7 days before; "this month" and '
        '"this year" run from the 1st and 1 January but cover at least the last 7 days.'
    )
    examples = "\n".join(f"`{e}`" for e in EXAMPLES)
    blocks: list[dict[str, Any]] = []
    if intro:
        blocks.append({"type": "section", "text": mrkdwn(intro)})
    blocks.extend(
        [
            {"type": "section", "text": mrkdwn(f"*`/policy` commands*\n{grammar}")},
            {"type": "section", "text": mrkdwn(f"*Examples*\n{examples}")},
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        vocab + " Replies are visible only to you until you share them. "
                        "Slash commands cannot be used inside threads."
                    )
                ],
            },
        ]
    )
    text = (
        (intro + "\n" if intro else "")
        + "policybot commands: "
        + ", ".join(u.split(" ")[0] for u, _ in HELP_LINES)
    )
    return {
        "response_type": "ephemeral",
        "text": truncate(text, FALLBACK_TEXT_LIMIT),
        "blocks": blocks,
    }


def unknown_command_message(word: str, suggestion: str | None) -> dict[str, Any]:
    shown = escape_and_truncate(word, 40)
    intro = f"I don't know `{shown}`."
    if suggestion:
        intro += f" Did you mean `/policy {suggestion}`?"
    return help_message(intro=intro)


def too_long_message(length: int, limit: int) -> dict[str, Any]:
    return notice(
        f"Sorry, that is {length:,} characters; `/policy` takes at most {limit:,}. "
        "Please shorten it (a question of a sentence or two works best)."
    )


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    url: str
    enabled: bool
    origin: str
    last_success_at: datetime | None
    last_status: str | None
    consecutive_failures: int
    last_error: str | None
    last_skipped: int = 0
    last_skipped_reason: str | None = None


def _health(row: SourceRow, now: datetime) -> str:
    if not row.enabled:
        return "removed"
    if row.last_status is None and row.last_success_at is None:
        return "not polled yet"
    if row.consecutive_failures:
        error = escape_and_truncate(row.last_error or "error", 80)
        return f":warning: failing ({row.consecutive_failures}×: {error})"
    if row.last_success_at is not None:
        return f"ok, {_ago(now - row.last_success_at)} ago{_skipped(row)}"
    return row.last_status or "unknown"


def _skipped(row: SourceRow) -> str:
    if not row.last_skipped:
        return ""
    return "; " + escape_and_truncate(row.last_skipped_reason or f"{row.last_skipped} skipped", 80)


def _ago(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 90:
        return f"{max(seconds, 0)}s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def sources_message(rows: Sequence[SourceRow], *, now: datetime) -> dict[str, Any]:
    if not rows:
        return notice(
            "No sources are watched yet. Admins can add one with `/policy sources add URL`."
        )
    lines = [
        f"• `{escape(r.name)}` ({escape(r.kind)}{', from Slack' if r.origin == 'slack' else ''}): "
        f"{_health(r, now)}"
        for r in rows
    ]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(f"*Sources ({len(rows)})*")}]
    # Sections hold 3,000 characters: chunk the list.
    chunk: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) > 2800 and chunk:
            blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
    fallback = f"{len(rows)} sources: " + ", ".join(escape(r.name) for r in rows)
    return {
        "response_type": "ephemeral",
        "text": truncate(fallback, FALLBACK_TEXT_LIMIT),
        "blocks": blocks[:50],
    }


def status_message(
    rows: Sequence[SourceRow],
    *,
    now: datetime,
    next_briefing: datetime | None,
    briefing_channels: int,
    developments: int,
    paused_subscriptions: Sequence[str] = (),
) -> dict[str, Any]:
    active = [r for r in rows if r.enabled]
    failing = [r for r in active if r.consecutive_failures]
    skipping = [r for r in active if r.last_skipped and not r.consecutive_failures]
    polled = [r.last_success_at for r in active if r.last_success_at is not None]
    last = max(polled) if polled else None
    lines = [
        f"*Developments tracked:* {developments:,}",
        f"*Sources:* {len(active)} watched, {len(failing)} failing",
        "*Last successful poll:* " + (f"{_ago(now - last)} ago" if last else "never"),
    ]
    if next_briefing is not None and briefing_channels:
        lines.append(
            f"*Next briefing:* {next_briefing:%Y-%m-%d %H:%M} UTC "
            f"to {briefing_channels} channel{'s' if briefing_channels != 1 else ''}"
        )
    else:
        lines.append("*Next briefing:* none (no briefing channels configured)")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn("\n".join(lines))}]
    if failing:
        failing_lines = "\n".join(f"• `{escape(r.name)}`: {_health(r, now)}" for r in failing[:20])
        blocks.append({"type": "section", "text": mrkdwn(f"*Failing*\n{failing_lines}")})
    if skipping:
        # Read, but some entries were unusable and left out: worth a look at the feed.
        skipping_lines = "\n".join(
            f"• `{escape(r.name)}`: {_health(r, now)}" for r in skipping[:20]
        )
        blocks.append({"type": "section", "text": mrkdwn(f"*Entries left out*\n{skipping_lines}")})
    if paused_subscriptions:
        # Subscribers Slack refused (cannot_dm_bot, user_not_found, ...): paused, not retried.
        paused_lines = "\n".join(f"• {line}" for line in paused_subscriptions[:20])
        blocks.append(
            {"type": "section", "text": mrkdwn(f"*Paused alert subscriptions*\n{paused_lines}")}
        )
    text = f"{developments} developments, {len(active)} sources ({len(failing)} failing)"
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}
