"""The "Share in channel" button on `/policy` replies.

The button's value is the command text; sharing runs it again and posts the reply for everyone
in the channel through the action's `response_url` (which works in private channels and DMs
without the bot being a member), then removes the private copy.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

import bot.slack.command_service as svc
from bot.deps import Deps
from bot.slack.blocks.answers import SHARE_ACTION_ID
from bot.slack.blocks.text import escape
from bot.slack.commands import Ask, Latest, Search, parse_command

log = logging.getLogger(__name__)


def share_reply(deps: Deps, *, command_text: str, user_id: str) -> dict[str, Any] | None:
    """The reply to post in the channel for a shared command, or None if it cannot be shared."""
    parsed = parse_command(command_text)
    if isinstance(parsed, Ask):
        reply = svc.ask_reply(deps, question=parsed.question, command_text=command_text)
    elif isinstance(parsed, Latest):
        reply = svc.latest_reply(deps, command=parsed, command_text=command_text)
    elif isinstance(parsed, Search):
        reply = svc.search_reply(deps, terms=parsed.terms, command_text=command_text)
    else:
        return None
    blocks = [b for b in reply.get("blocks", []) if b.get("type") != "actions"]
    who = escape(user_id)
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Shared by <@{who}> · `/policy {escape(command_text[:200])}`",
                }
            ],
        }
    )
    return {"response_type": "in_channel", "text": reply.get("text", ""), "blocks": blocks}


def register(app: App, deps: Deps) -> None:
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        try:
            reply = share_reply(deps, command_text=str(action.get("value") or ""), user_id=user_id)
        except Exception:
            log.exception("share failed")
            reply = None
        if reply is None:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, that reply could not be shared.",
            )
            return
        respond(**reply, replace_original=False)
        respond(delete_original=True)

    app.action(SHARE_ACTION_ID)(on_share)
