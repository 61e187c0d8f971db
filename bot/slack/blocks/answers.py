"""Block Kit for `/policy ask`, `latest` and `search`: cited developments, ephemeral.

Pure functions from plain data to a response payload (`text`, `blocks`, `response_type`).
Every piece of outside text (titles, summaries, the question) is escaped. Each payload ends with
a "Share in channel" button whose value is the command, so sharing re-runs it in the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.blocks.text import (
    CONTEXT_TEXT_LIMIT,
    FALLBACK_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    escape,
    escape_and_truncate,
    link,
    mrkdwn,
    truncate,
)

SHARE_ACTION_ID = "policy_share"
SHARE_VALUE_LIMIT = 2000  # Slack's limit for a button value
SUMMARY_LIMIT = 600
LIST_LIMIT = 10  # developments listed by `latest` and `search`


@dataclass(frozen=True)
class ShownDevelopment:
    """What a reply shows of one development."""

    id: int
    title: str
    summary: str = ""
    url: str = ""
    jurisdictions: tuple[str, ...] = ()
    published: datetime | None = None
    importance: str = "low"
    timeline: tuple[str, ...] = ()  # "takes effect 2 August 2026"
    note: str = ""  # why it is shown although not tagged as asked ("tagged US, not IN")


def share_button(command_text: str) -> dict[str, Any]:
    """An actions block with a "Share in channel" button that re-runs `command_text`."""
    return {
        "type": "actions",
        "block_id": "policy_share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION_ID,
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
                "value": command_text[:SHARE_VALUE_LIMIT],
            }
        ],
    }


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "undated"


def development_section(dev: ShownDevelopment, *, number: int | None = None) -> dict[str, Any]:
    title = escape_and_truncate(dev.title, 250)
    heading = link(dev.url, truncate(dev.title, 250)) if dev.url else title
    prefix = f"{number}. " if number is not None else ""
    where = ", ".join(dev.jurisdictions) or "no jurisdiction"
    lines = [f"*{prefix}{heading}*", f"{_date(dev.published)} · {escape(where)} · {dev.importance}"]
    if dev.note:
        lines[-1] += f" · _{escape(dev.note)}_"
    if dev.timeline:
        lines.append(escape("; ".join(dev.timeline)))
    if dev.summary:
        lines.append(escape_and_truncate(dev.summary, SUMMARY_LIMIT))
    return {"type": "section", "text": mrkdwn("\n".join(lines), SECTION_TEXT_LIMIT)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_LIMIT)]}


def _fallback(lines: Sequence[str]) -> str:
    return truncate("\n".join(lines), FALLBACK_TEXT_LIMIT)


def answer_message(
    *,
    question: str,
    developments: Sequence[ShownDevelopment],
    searched: str,
    suggestions: Sequence[str] = (),
    command_text: str | None = None,
    response_type: str = "ephemeral",
    phrased: str | None = None,
) -> dict[str, Any]:
    """The reply to `/policy ask`: the cited developments, or "Nothing tracked matches".

    `phrased` (an LLM's wording with [n] citations of these developments) goes first.
    """
    blocks: list[dict[str, Any]] = []
    q = escape_and_truncate(question, 300)
    if developments:
        blocks.append({"type": "section", "text": mrkdwn(f"*From what policybot tracks:* {q}")})
        if phrased:
            blocks.append({"type": "section", "text": mrkdwn(escape_and_truncate(phrased, 1500))})
        for n, dev in enumerate(developments, start=1):
            blocks.append(development_section(dev, number=n))
        fallback = [
            f"{n}. {escape(d.title)} ({_date(d.published)})" for n, d in enumerate(developments, 1)
        ]
    else:
        text = f"Nothing tracked matches “{q}”."
        if suggestions:
            # Suggestions are our own words, with `code` spans: not escaped on purpose.
            text += "\n" + "\n".join(f"• {s}" for s in suggestions)
        blocks.append({"type": "section", "text": mrkdwn(text)})
        fallback = [f"Nothing tracked matches “{q}”."]
    blocks.append(_context(f"Searched: {escape(searched)}"))
    if command_text and response_type == "ephemeral":
        blocks.append(share_button(command_text))
    return {"response_type": response_type, "text": _fallback(fallback), "blocks": blocks}


def development_list_message(
    *,
    heading: str,
    developments: Sequence[ShownDevelopment],
    empty_text: str,
    command_text: str | None = None,
    response_type: str = "ephemeral",
) -> dict[str, Any]:
    """The reply to `latest` and `search`: a heading (our words) and up to 10 developments."""
    shown = list(developments)[:LIST_LIMIT]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(f"*{heading}*")}]
    if not shown:
        blocks.append({"type": "section", "text": mrkdwn(empty_text)})
        return {"response_type": response_type, "text": _fallback([empty_text]), "blocks": blocks}
    for dev in shown:
        blocks.append(development_section(dev))
    if command_text and response_type == "ephemeral":
        blocks.append(share_button(command_text))
    # The fallback `text` is parsed as mrkdwn too: outside text is escaped there as well.
    fallback = [heading] + [f"• {escape(d.title)} ({_date(d.published)})" for d in shown]
    return {"response_type": response_type, "text": _fallback(fallback), "blocks": blocks}


def shared_message(reply: dict[str, Any], *, user_id: str, command_text: str) -> dict[str, Any]:
    """A private reply made public: its blocks without the share button, plus who shared it."""
    blocks = [b for b in reply.get("blocks", []) if b.get("type") != "actions"]
    blocks.append(
        _context(f"Shared by <@{escape(user_id)}> · `/policy {escape(command_text[:200])}`")
    )
    return {"response_type": "in_channel", "text": reply.get("text", ""), "blocks": blocks}
