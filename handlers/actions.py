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

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        try:
            reply = svc.share_reply(
                deps, command_text=str(action.get("value") or ""), user_id=user_id
            )
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
