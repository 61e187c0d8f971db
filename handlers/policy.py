"""The `/policy` slash command: acknowledge within 3 seconds, then answer.

Quick replies (help, usage errors, refusals) go in the acknowledgement itself. Everything that
reads the store or the network is acknowledged at once and answered through `respond()`
(Slack's `response_url`), on Bolt's thread pool. Replies are ephemeral; the "Share in channel"
button (handlers/actions.py) posts them for everyone.

The dispatch table maps each parsed command type to one small function. Subscription commands
are answered by bot/slack/subscription_service.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

import bot.slack.command_service as svc
import bot.slack.subscription_service as subscriptions
from bot.deps import Deps
from bot.slack.app import GENERIC_ERROR
from bot.slack.commands import (
    Ask,
    Command,
    Help,
    Invalid,
    Latest,
    Search,
    SourcesAdd,
    SourcesList,
    SourcesRemove,
    Status,
    Subscribe,
    Subscriptions,
    TooLong,
    Unknown,
    Unsubscribe,
    parse_command,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """Who asked, where, and with what text."""

    text: str
    user_id: str
    channel_id: str
    team_id: str


Reply = dict[str, Any]
Run = Callable[[Deps, Any, Invocation], Reply]


def _help(deps: Deps, cmd: Help, inv: Invocation) -> Reply:
    return svc.help_reply(cmd.topic)


def _unknown(deps: Deps, cmd: Unknown, inv: Invocation) -> Reply:
    return svc.unknown_reply(cmd)


def _invalid(deps: Deps, cmd: Invalid, inv: Invocation) -> Reply:
    return svc.invalid_reply(cmd)


def _too_long(deps: Deps, cmd: TooLong, inv: Invocation) -> Reply:
    return svc.too_long_reply(cmd)


def _ask(deps: Deps, cmd: Ask, inv: Invocation) -> Reply:
    return svc.ask_reply(deps, question=cmd.question, command_text=inv.text)


def _latest(deps: Deps, cmd: Latest, inv: Invocation) -> Reply:
    return svc.latest_reply(deps, command=cmd, command_text=inv.text)


def _search(deps: Deps, cmd: Search, inv: Invocation) -> Reply:
    return svc.search_reply(deps, terms=cmd.terms, command_text=inv.text)


def _sources(deps: Deps, cmd: SourcesList, inv: Invocation) -> Reply:
    return svc.sources_reply(deps)


def _sources_add(deps: Deps, cmd: SourcesAdd, inv: Invocation) -> Reply:
    return svc.sources_add_reply(deps, command=cmd, user_id=inv.user_id)


def _sources_remove(deps: Deps, cmd: SourcesRemove, inv: Invocation) -> Reply:
    return svc.sources_remove_reply(deps, command=cmd, user_id=inv.user_id)


def _status(deps: Deps, cmd: Status, inv: Invocation) -> Reply:
    return svc.status_reply(deps)


def _subscribe(deps: Deps, cmd: Subscribe, inv: Invocation) -> Reply:
    return subscriptions.subscribe_reply(
        deps, team_id=inv.team_id, user_id=inv.user_id, channel_id=inv.channel_id, args=cmd.args
    )


def _unsubscribe(deps: Deps, cmd: Unsubscribe, inv: Invocation) -> Reply:
    return subscriptions.unsubscribe_reply(
        deps, team_id=inv.team_id, user_id=inv.user_id, channel_id=inv.channel_id, args=cmd.args
    )


def _subscriptions(deps: Deps, cmd: Subscriptions, inv: Invocation) -> Reply:
    return subscriptions.subscriptions_reply(
        deps, team_id=inv.team_id, user_id=inv.user_id, channel_id=inv.channel_id, here=cmd.here
    )


# Answered inside the acknowledgement: no store, no network.
QUICK: dict[type, Run] = {
    Help: _help,
    Unknown: _unknown,
    Invalid: _invalid,
    TooLong: _too_long,
}
# Acknowledged at once, answered through response_url.
SLOW: dict[type, Run] = {
    Ask: _ask,
    Latest: _latest,
    Search: _search,
    SourcesList: _sources,
    SourcesAdd: _sources_add,
    SourcesRemove: _sources_remove,
    Status: _status,
    Subscribe: _subscribe,
    Unsubscribe: _unsubscribe,
    Subscriptions: _subscriptions,
}


def _invocation(command: dict[str, Any]) -> Invocation:
    return Invocation(
        text=str(command.get("text") or ""),
        user_id=str(command.get("user_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        team_id=str(command.get("team_id") or ""),
    )


def handle_policy(deps: Deps, *, ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
    inv = _invocation(command)
    parsed: Command = parse_command(inv.text)
    quick = QUICK.get(type(parsed))
    if quick is not None:
        ack(**quick(deps, parsed, inv))
        return
    ack()
    run = SLOW.get(type(parsed), _help)

    def answer() -> None:
        try:
            reply = run(deps, parsed, inv)
        except Exception:
            # Operators get the traceback in the log; the person gets one plain sentence.
            log.exception("/policy %s failed", type(parsed).__name__)
            reply = {"response_type": "ephemeral", "text": GENERIC_ERROR}
        try:
            respond(**reply)
        except Exception:
            log.exception("/policy %s: the reply could not be delivered", type(parsed).__name__)

    if deps.background is None:
        answer()
    else:
        deps.background.submit(answer)


def register(app: App, deps: Deps) -> None:
    def on_policy(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        handle_policy(deps, ack=ack, respond=respond, command=command)

    app.command("/policy")(on_policy)
