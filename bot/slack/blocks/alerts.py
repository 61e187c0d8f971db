"""Block Kit for alerts: one message per subscriber, several developments grouped in it.

Pure functions from plain data to Slack message payloads (`{"text": ..., "blocks": [...]}`).
Every piece of outside text is escaped; every alert says why it was sent and carries an
unsubscribe button per matching subscription.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.slack.blocks.text import (
    CONTEXT_TEXT_LIMIT,
    FALLBACK_TEXT_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    escape,
    escape_and_truncate,
    link,
    mrkdwn,
    plain_text,
    truncate,
)

# Developments shown in one alert message; the rest are counted ("and N more").
ALERT_GROUP_LIMIT = 10
# Buttons in one actions block (Slack allows 25; a handful is plenty).
UNSUBSCRIBE_BUTTON_LIMIT = 5
UNSUBSCRIBE_ACTION_PREFIX = "alert_unsubscribe"
ALERT_METADATA_EVENT = "policybot_alert"


@dataclass(frozen=True)
class AlertDevelopment:
    """What an alert shows of one development."""

    id: int
    title: str
    summary: str = ""
    url: str | None = None
    jurisdictions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    importance: str = "low"
    published_at: datetime | None = None
    is_update: bool = False
    # Why this subscriber gets it: "UK, export-controls" (what they follow that matched).
    reasons: tuple[str, ...] = ()
    # The dates it sets (`bot.developments.timeline`): "takes effect 2 August 2026".
    timeline: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertSubscription:
    """A subscription that matched, for its unsubscribe button."""

    id: int
    label: str  # e.g. "UK, EU · export-controls · instant"


@dataclass(frozen=True)
class AlertMessage:
    developments: Sequence[AlertDevelopment]
    subscriptions: Sequence[AlertSubscription]
    digest: bool = False
    batch_id: str | None = None
    tz: tzinfo | None = None
    limit: int = ALERT_GROUP_LIMIT


def _date(value: datetime | None, tz: tzinfo | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz) if tz else value
    return f"{local.day} {local:%b %Y}"


def why_line(reasons: Sequence[str]) -> str:
    """ "you follow UK, export-controls" (or several subscriptions, joined by "and")."""
    if not reasons:
        return "you follow these jurisdictions"
    return "you follow " + " and ".join(reasons)


def latest_hint(developments: Sequence[AlertDevelopment]) -> str:
    """A `/policy latest …` command that shows the developments an alert left out."""
    codes: list[str] = []
    for dev in developments:
        for code in dev.jurisdictions:
            if code not in codes:
                codes.append(code)
    return "/policy latest" + ("".join(f" {c}" for c in codes[:5]))


def development_blocks(dev: AlertDevelopment, tz: tzinfo | None) -> list[dict[str, Any]]:
    title = dev.title.strip() or "(untitled development)"
    label = link(dev.url, truncate(title, 200)) if dev.url else escape_and_truncate(title, 200)
    prefix = "*Updated:* " if dev.is_update else ""
    text = f"{prefix}*{label}*"
    if dev.summary.strip():
        text += "\n" + escape_and_truncate(dev.summary.strip(), 600)
    facts = [", ".join(dev.jurisdictions)]
    if dev.topics:
        facts.append(", ".join(dev.topics))
    facts.append(f"{dev.importance} importance")
    published = _date(dev.published_at, tz)
    if published:
        facts.append(f"published {published}")
    facts.extend(escape(line) for line in dev.timeline)
    context = " · ".join(f for f in facts if f) + f"\n_Why: {escape(why_line(dev.reasons))}_"
    return [
        {"type": "section", "text": mrkdwn(text)},
        {"type": "context", "elements": [mrkdwn(context, CONTEXT_TEXT_LIMIT)]},
    ]


def unsubscribe_actions(subscriptions: Sequence[AlertSubscription]) -> dict[str, Any] | None:
    if not subscriptions:
        return None
    elements = []
    for i, sub in enumerate(subscriptions[:UNSUBSCRIBE_BUTTON_LIMIT]):
        text = "Unsubscribe" if len(subscriptions) == 1 else f"Unsubscribe: {sub.label}"
        elements.append(
            {
                "type": "button",
                "action_id": f"{UNSUBSCRIBE_ACTION_PREFIX}_{i}",
                "text": plain_text(text, 75),
                "value": str(sub.id),
                "confirm": {
                    "title": plain_text("Unsubscribe?", 100),
                    "text": plain_text(f"Stop alerts for {sub.label}?", 300),
                    "confirm": plain_text("Unsubscribe", 30),
                    "deny": plain_text("Keep", 30),
                },
            }
        )
    return {"type": "actions", "block_id": "alert_unsubscribe", "elements": elements}


def build_alert_message(message: AlertMessage) -> dict[str, Any]:
    """The `chat.postMessage` payload (text, blocks, metadata) of one alert or digest."""
    devs = list(message.developments)
    # Each development takes two blocks, a divider separates them; keep room for the header,
    # the "and N more" line and the actions block inside Slack's 50-block limit.
    limit = max(1, min(message.limit, (MESSAGE_BLOCK_LIMIT - 4) // 3))
    shown, hidden = devs[:limit], devs[limit:]
    count = len(devs)
    noun = "development" if count == 1 else "developments"
    if message.digest:
        heading = f"Your daily policy digest: {count} {noun}"
    elif count == 1:
        heading = "Policy alert: " + (
            "an updated development" if devs[0].is_update else "a new development"
        )
    else:
        heading = f"Policy alert: {count} {noun}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain_text(heading)}]
    for i, dev in enumerate(shown):
        if i:
            blocks.append({"type": "divider"})
        blocks.extend(development_blocks(dev, message.tz))
    if hidden:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        f"…and {len(hidden)} more. See them with `{latest_hint(devs)}`.",
                        CONTEXT_TEXT_LIMIT,
                    )
                ],
            }
        )
    actions = unsubscribe_actions(message.subscriptions)
    if actions:
        blocks.append(actions)

    fallback_lines = [heading + ":"]
    for dev in shown:
        line = f"• {escape_and_truncate(dev.title.strip() or '(untitled)', 200)}"
        if dev.timeline:
            line += f" ({escape('; '.join(dev.timeline))})"
        fallback_lines.append(line)
    if hidden:
        fallback_lines.append(f"…and {len(hidden)} more (`{latest_hint(devs)}`)")
    reasons = sorted({r for d in devs for r in d.reasons})
    fallback_lines.append(f"Why: {escape(why_line(reasons))}")
    payload: dict[str, Any] = {
        "text": truncate("\n".join(fallback_lines), FALLBACK_TEXT_LIMIT),
        "blocks": blocks,
    }
    if message.batch_id:
        payload["metadata"] = {
            "event_type": ALERT_METADATA_EVENT,
            "event_payload": {"batch_id": message.batch_id},
        }
    return payload
