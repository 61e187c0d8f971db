"""Subscriptions through Slack: the alert's unsubscribe button and the subcommand replies."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts_support import (
    HistoryFakeSlack,
    add_development,
    block_action,
    dispatch_action,
    make_app,
    slack,
    transport,
    web_client,
)

from bot.alerts import deliver_alerts
from bot.deps import Deps
from bot.subscriptions import list_subscriptions, subscribe
from handlers import subscriptions as subscription_handlers
from handlers.subscriptions import (
    subscribe_command,
    subscriptions_command,
    unsubscribe_command,
)
from store.db import SessionFactory, session_scope

__all__ = ["slack"]

NOW = datetime.now(UTC)


def _reply(deps: Deps, fn: object, args: object, **kw: object) -> str:
    result = fn(deps, team_id="T1", user_id="U1", channel_id="C9", args=args, **kw)  # type: ignore[operator]
    assert result["response_type"] == "ephemeral"
    return str(result["text"])


def test_subscribe_reply_says_exactly_what_is_followed(deps: Deps) -> None:
    text = _reply(deps, subscribe_command, "EU NL export-controls")
    assert text.startswith("Subscribed: EU, NL · export-controls · instant. Alerts arrive by DM.")
    assert "You follow:\n• EU, NL · export-controls · instant" in text
    again = _reply(deps, subscribe_command, "NL export-controls")
    assert again.startswith("Already subscribed")


def test_subscribe_here_is_for_the_channel(deps: Deps, sessions: SessionFactory) -> None:
    text = _reply(deps, subscribe_command, "UK daily here")
    assert "Alerts arrive in this channel." in text
    assert "<#C9> follows:" in text
    with session_scope(sessions) as session:
        [sub] = list_subscriptions(session, team_id="T1", subscriber_id="C9")
        assert (sub.subscriber_kind, sub.mode, sub.created_by) == ("channel", "daily", "U1")


def test_bad_words_get_help_not_silence(deps: Deps) -> None:
    text = _reply(deps, subscribe_command, "EU atlantis")
    assert "atlantis" in text and "/policy subscribe" in text
    assert "Name a jurisdiction" in _reply(deps, unsubscribe_command, "")


def test_unsubscribe_and_list(deps: Deps) -> None:
    _reply(deps, subscribe_command, "EU NL")
    text = _reply(deps, unsubscribe_command, "NL JP")
    assert text.startswith("Unsubscribed from NL. Not subscribed to JP.")
    assert "• EU · instant" in text
    result = subscriptions_command(deps, team_id="T1", user_id="U1", channel_id="C9")
    assert result["text"] == "You follow:\n• EU · instant"
    assert "You follow nothing now." in _reply(deps, unsubscribe_command, "all")


def test_the_alert_unsubscribe_button_removes_that_subscription(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    with session_scope(sessions) as session:
        subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["UK"],
            now=NOW,
        )
    add_development(sessions, title="UK export rule", jurisdictions=["UK"], at=NOW)
    deliver_alerts(deps, client=web_client(slack), now=NOW, transport=transport(slack))
    [message] = slack.messages()
    button = next(b for b in message.blocks or [] if b["type"] == "actions")["elements"][0]
    app = make_app(deps, slack, subscription_handlers)
    payload = block_action(
        button["action_id"],
        button["value"],
        channel=message.channel,
        response_url=slack.response_url("r1"),
    )
    assert dispatch_action(app, payload).status == 200
    with session_scope(sessions) as session:
        assert list_subscriptions(session, team_id="T1", subscriber_id="U1") == []
    [(response_id, body)] = slack.responses
    assert response_id == "r1"
    assert body["text"] == "Unsubscribed: UK · instant.\nYou follow nothing now."
    assert body["response_type"] == "ephemeral"


def test_the_unsubscribe_button_of_a_channel_alert_removes_the_channels(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    with session_scope(sessions) as session:
        sub_id = subscribe(
            session,
            team_id="T1",
            subscriber_kind="channel",
            subscriber_id="C7",
            jurisdictions=["CN"],
            now=NOW,
        ).subscription.id
    app = make_app(deps, slack, subscription_handlers)
    payload = block_action(
        "alert_unsubscribe_0",
        str(sub_id),
        user="U5",
        channel="C7",
        response_url=slack.response_url("r2"),
    )
    dispatch_action(app, payload)
    with session_scope(sessions) as session:
        assert list_subscriptions(session, team_id="T1", subscriber_id="C7") == []
    assert "<#C7> follows nothing now." in slack.responses[0][1]["text"]


def test_someone_elses_subscription_is_not_removed(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    with session_scope(sessions) as session:
        sub_id = subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U2",
            jurisdictions=["CN"],
            now=NOW,
        ).subscription.id
    app = make_app(deps, slack, subscription_handlers)
    dispatch_action(
        app,
        block_action(
            "alert_unsubscribe_0",
            str(sub_id),
            user="U1",
            channel="D1",
            response_url=slack.response_url("r3"),
        ),
    )
    with session_scope(sessions) as session:
        assert len(list_subscriptions(session, team_id="T1", subscriber_id="U2")) == 1
    assert "already gone" in slack.responses[0][1]["text"]
