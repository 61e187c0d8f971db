"""What the subscription subcommands and the alerts' unsubscribe button do.

`/policy subscribe`, `unsubscribe` and `subscriptions` (and the button) answer with an ephemeral
reply that says exactly what is now followed; bad words get the usage, not silence. The Slack
listeners (`handlers/policy.py`, `handlers/subscriptions.py`) only acknowledge, call these and
send the payload.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.subscriptions import (
    SubscribeArgs,
    SubscriptionError,
    UnsubscribeArgs,
    describe_following,
    describe_subscription,
    list_subscriptions,
    parse_subscribe_args,
    parse_unsubscribe_args,
    remove_subscription,
    subscribe,
    unsubscribe,
)
from bot.deps import Deps
from store.db import session_scope
from store.models import Subscription


def _reply(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def _subscriber(here: bool, *, user_id: str, channel_id: str) -> tuple[str, str]:
    return ("channel", channel_id) if here else ("user", user_id)


def subscribe_reply(
    deps: Deps, *, team_id: str, user_id: str, channel_id: str, args: SubscribeArgs | str
) -> dict[str, Any]:
    """`/policy subscribe JURISDICTION… [TOPIC…] [high|medium|low] [instant|daily] [here]`;
    `args` parsed already (by `bot.slack.commands`) or the words after `subscribe`."""
    if isinstance(args, str):
        try:
            args = parse_subscribe_args(args)
        except SubscriptionError as exc:
            return _reply(str(exc))
    kind, subscriber_id = _subscriber(args.here, user_id=user_id, channel_id=channel_id)
    with session_scope(deps.sessions) as session:
        result = subscribe(
            session,
            team_id=team_id,
            subscriber_kind=kind,
            subscriber_id=subscriber_id,
            jurisdictions=args.jurisdictions,
            topics=args.topics,
            min_importance=args.min_importance,
            mode=args.mode,
            created_by=user_id,
            now=deps.clock(),
        )
        following = describe_following(result.current, kind=kind, subscriber_id=subscriber_id)
        line = (
            f"Subscribed: {describe_subscription(result.subscription)}."
            if result.added
            else f"Already subscribed: {describe_subscription(result.subscription)}."
        )
    where = "in this channel" if kind == "channel" else "by DM"
    extra = " Alerts had been paused; they are on again." if result.resumed else ""
    return _reply(f"{line} Alerts arrive {where}.{extra}\n{following}")


def unsubscribe_reply(
    deps: Deps, *, team_id: str, user_id: str, channel_id: str, args: UnsubscribeArgs | str
) -> dict[str, Any]:
    """`/policy unsubscribe JURISDICTION…|all [here]` (parsed, or the words after it)."""
    if isinstance(args, str):
        try:
            args = parse_unsubscribe_args(args)
        except SubscriptionError as exc:
            return _reply(str(exc))
    kind, subscriber_id = _subscriber(args.here, user_id=user_id, channel_id=channel_id)
    with session_scope(deps.sessions) as session:
        result = unsubscribe(
            session,
            team_id=team_id,
            subscriber_id=subscriber_id,
            jurisdictions=args.jurisdictions,
            everything=args.everything,
        )
        following = describe_following(result.current, kind=kind, subscriber_id=subscriber_id)
    lines = []
    if result.removed:
        lines.append(f"Unsubscribed from {', '.join(result.removed)}.")
    if result.not_followed:
        lines.append(f"Not subscribed to {', '.join(result.not_followed)}.")
    if not lines:
        lines.append("There was nothing to unsubscribe from.")
    return _reply(" ".join(lines) + "\n" + following)


def subscriptions_reply(
    deps: Deps, *, team_id: str, user_id: str, channel_id: str, here: bool = False
) -> dict[str, Any]:
    """`/policy subscriptions [here]`: yours, or this channel's."""
    kind, subscriber_id = _subscriber(here, user_id=user_id, channel_id=channel_id)
    with session_scope(deps.sessions) as session:
        subs = list_subscriptions(session, team_id=team_id, subscriber_id=subscriber_id)
        following = describe_following(subs, kind=kind, subscriber_id=subscriber_id)
    hint = "" if subs else " Try `/policy subscribe EU NL export-controls`."
    return _reply(following + hint)


def unsubscribe_button_reply(
    deps: Deps, *, body: dict[str, Any], action: dict[str, Any]
) -> dict[str, Any]:
    """An alert's unsubscribe button: remove that subscription (the user's, or the channel's
    the alert was posted in) and say what is still followed."""
    user_id = str(body["user"]["id"])
    team = body.get("team") or {}
    team_id = str(team.get("id") or body["user"].get("team_id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    try:
        subscription_id = int(action.get("value") or "")
    except ValueError:
        return {**_reply("That button is out of date."), "replace_original": False}
    with session_scope(deps.sessions) as session:
        sub = session.get(Subscription, subscription_id)
        owner = user_id
        kind = "user"
        if sub is not None and sub.subscriber_kind == "channel" and sub.subscriber_id == channel_id:
            owner, kind = channel_id, "channel"
        removed = remove_subscription(
            session, team_id=team_id, subscriber_id=owner, subscription_id=subscription_id
        )
        remaining = list_subscriptions(session, team_id=team_id, subscriber_id=owner)
        following = describe_following(remaining, kind=kind, subscriber_id=owner)
        text = (
            f"Unsubscribed: {describe_subscription(removed)}.\n{following}"
            if removed is not None
            else f"That subscription was already gone.\n{following}"
        )
    return {**_reply(text), "replace_original": False}
