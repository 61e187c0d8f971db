"""The unsubscribe button of alerts (the subscription subcommands go through `handlers/policy.py`).

What the button does lives in `bot.slack.subscription_service`; this listener acknowledges and
sends the reply.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.slack.blocks.alerts import UNSUBSCRIBE_ACTION_PREFIX
from bot.slack.subscription_service import unsubscribe_button_reply


def register(app: App, deps: Deps) -> None:
    def on_unsubscribe_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        respond(**unsubscribe_button_reply(deps, body=body, action=action))

    app.action(re.compile(f"^{UNSUBSCRIBE_ACTION_PREFIX}_\\d+$"))(on_unsubscribe_button)
