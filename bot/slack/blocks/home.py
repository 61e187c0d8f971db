"""Block Kit for the App Home tab: subscriptions, a form to add one, the latest developments.

Pure functions from plain data to a `views.publish` view (`{"type": "home", "blocks": …}`),
at most 100 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from bot.slack.blocks.alerts import AlertDevelopment
from bot.slack.blocks.text import (
    CONTEXT_TEXT_LIMIT,
    HOME_BLOCK_LIMIT,
    escape,
    escape_and_truncate,
    link,
    mrkdwn,
    plain_text,
    truncate,
)
from bot.vocab import JURISDICTIONS, TOPICS

HOME_CALLBACK_ID = "policybot_home"
REMOVE_ACTION_PREFIX = "home_remove_subscription"
ADD_BLOCK_ID = "home_add"
ADD_JURISDICTION_ACTION = "home_add_jurisdiction"
ADD_TOPIC_ACTION = "home_add_topic"
ADD_MODE_ACTION = "home_add_mode"
ADD_BUTTON_ACTION = "home_add_subscription"
ANY_TOPIC = "any"
# Subscriptions listed in full before "and N more" (each is one section block).
HOME_SUBSCRIPTION_LIMIT = 40
HOME_LATEST_LIMIT = 15


@dataclass(frozen=True)
class HomeSubscription:
    id: int
    label: str  # describe_subscription(...)
    paused_reason: str | None = None


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(text, 75), "value": value}


def _subscription_block(sub: HomeSubscription) -> dict[str, Any]:
    text = escape(sub.label)
    if sub.paused_reason is not None:
        text += f"\n:pause_button: _paused ({escape(sub.paused_reason)}); add it again to resume_"
    return {
        "type": "section",
        "block_id": f"home_sub_{sub.id}",
        "text": mrkdwn(text),
        "accessory": {
            "type": "button",
            "action_id": f"{REMOVE_ACTION_PREFIX}_{sub.id}",
            "text": plain_text("Remove", 75),
            "value": str(sub.id),
            "style": "danger",
        },
    }


def add_form_blocks() -> list[dict[str, Any]]:
    """Three selects (jurisdiction, topic, mode) and an add button."""
    jurisdictions = [_option(f"{code} · {name}", code) for code, name in JURISDICTIONS.items()]
    topics = [_option("any topic", ANY_TOPIC)] + [_option(t, t) for t in TOPICS]
    modes = [
        _option("instant (a DM per new development)", "instant"),
        _option("daily digest", "daily"),
    ]
    return [
        {"type": "header", "text": plain_text("Add a subscription")},
        {
            "type": "actions",
            "block_id": ADD_BLOCK_ID,
            "elements": [
                {
                    "type": "static_select",
                    "action_id": ADD_JURISDICTION_ACTION,
                    "placeholder": plain_text("Jurisdiction", 150),
                    "options": jurisdictions,
                },
                {
                    "type": "static_select",
                    "action_id": ADD_TOPIC_ACTION,
                    "placeholder": plain_text("Topic (optional)", 150),
                    "options": topics,
                },
                {
                    "type": "static_select",
                    "action_id": ADD_MODE_ACTION,
                    "placeholder": plain_text("Mode", 150),
                    "initial_option": modes[0],
                    "options": modes,
                },
                {
                    "type": "button",
                    "action_id": ADD_BUTTON_ACTION,
                    "text": plain_text("Add", 75),
                    "style": "primary",
                    "value": "add",
                },
            ],
        },
    ]


def _latest_block(dev: AlertDevelopment, tz: tzinfo | None) -> dict[str, Any]:
    title = dev.title.strip() or "(untitled development)"
    label = link(dev.url, truncate(title, 200)) if dev.url else escape_and_truncate(title, 200)
    facts = [", ".join(dev.jurisdictions)]
    if dev.topics:
        facts.append(", ".join(dev.topics))
    if dev.published_at is not None:
        local = dev.published_at.astimezone(tz) if tz else dev.published_at
        facts.append(f"{local.day} {local:%b %Y}")
    return {
        "type": "section",
        "text": mrkdwn(f"*{label}*\n" + truncate(" · ".join(f for f in facts if f), 300)),
    }


def build_home_view(
    *,
    subscriptions: Sequence[HomeSubscription],
    latest: Sequence[AlertDevelopment],
    tz: tzinfo | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The home tab. `notice` is a one-line confirmation or error shown at the top."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain_text("Policy alerts")},
    ]
    if notice:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(notice), CONTEXT_TEXT_LIMIT)]})
    blocks.append({"type": "header", "text": plain_text("Your subscriptions")})
    if subscriptions:
        for sub in subscriptions[:HOME_SUBSCRIPTION_LIMIT]:
            blocks.append(_subscription_block(sub))
        if len(subscriptions) > HOME_SUBSCRIPTION_LIMIT:
            more = len(subscriptions) - HOME_SUBSCRIPTION_LIMIT
            blocks.append(
                {
                    "type": "context",
                    "elements": [mrkdwn(f"…and {more} more: `/policy subscriptions` lists all.")],
                }
            )
    else:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    "You follow nothing yet. Add a subscription below, or type "
                    "`/policy subscribe EU NL export-controls`."
                ),
            }
        )
    blocks.append({"type": "divider"})
    blocks.extend(add_form_blocks())
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": plain_text("Latest for what you follow")})
    room = HOME_BLOCK_LIMIT - len(blocks) - 1
    shown = list(latest)[: max(0, min(HOME_LATEST_LIMIT, room))]
    if shown:
        blocks.extend(_latest_block(dev, tz) for dev in shown)
    else:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        "Nothing tracked yet for the jurisdictions you follow."
                        if subscriptions
                        else "Follow a jurisdiction to see its latest developments here."
                    )
                ],
            }
        )
    return {"type": "home", "callback_id": HOME_CALLBACK_ID, "blocks": blocks[:HOME_BLOCK_LIMIT]}
