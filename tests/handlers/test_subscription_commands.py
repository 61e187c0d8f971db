"""Subscriptions through Slack: the alert's unsubscribe button and the subcommand replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from support.alerts_support import (
    HistoryFakeSlack,
    add_development,
    block_action,
    dispatch_action,
    make_app,
    slack,
    transport,
    web_client,
)
from support.moments import travel_to
from support.policy_served import SIGNING_SECRET, serve_app
from support.sourceserver import SourceServer

from bot.alerts.delivery import deliver_alerts
from bot.alerts.subscriptions import list_subscriptions, subscribe
from bot.config import Settings
from bot.deps import Deps
from bot.slack.subscription_service import (
    subscribe_reply,
    subscriptions_reply,
    unsubscribe_reply,
)
from bot.sources.poll import poll_sources
from handlers import subscriptions as subscription_handlers
from store.db import SessionFactory, session_scope

__all__ = ["slack"]

NOW = datetime(2027, 6, 7, 0, 30, tzinfo=UTC)  # a Monday just after midnight


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """The real clock (the CLI's, the fake Slack's message timestamps) starts at NOW too."""
    with travel_to(NOW):
        yield


def _reply(deps: Deps, fn: object, args: object, **kw: object) -> str:
    result = fn(deps, team_id="T1", user_id="U1", channel_id="C9", args=args, **kw)  # type: ignore[operator]
    assert result["response_type"] == "ephemeral"
    return str(result["text"])


def test_subscribe_reply_says_exactly_what_is_followed(deps: Deps) -> None:
    text = _reply(deps, subscribe_reply, "EU NL export-controls")
    assert text.startswith("Subscribed: EU, NL · export-controls · instant. Alerts arrive by DM.")
    assert "You follow:\n• EU, NL · export-controls · instant" in text
    again = _reply(deps, subscribe_reply, "NL export-controls")
    assert again.startswith("Already subscribed")


def test_subscribe_here_is_for_the_channel(deps: Deps, sessions: SessionFactory) -> None:
    text = _reply(deps, subscribe_reply, "UK daily here")
    assert "Alerts arrive in this channel." in text
    assert "<#C9> follows:" in text
    with session_scope(sessions) as session:
        [sub] = list_subscriptions(session, team_id="T1", subscriber_id="C9")
        assert (sub.subscriber_kind, sub.mode, sub.created_by) == ("channel", "daily", "U1")


def test_bad_words_get_help_not_silence(deps: Deps) -> None:
    text = _reply(deps, subscribe_reply, "EU atlantis")
    assert "atlantis" in text and "/policy subscribe" in text
    assert "Name a jurisdiction" in _reply(deps, unsubscribe_reply, "")


def test_unsubscribe_and_list(deps: Deps) -> None:
    _reply(deps, subscribe_reply, "EU NL")
    text = _reply(deps, unsubscribe_reply, "NL JP")
    assert text.startswith("Unsubscribed from NL. Not subscribed to JP.")
    assert "• EU · instant" in text
    result = subscriptions_reply(deps, team_id="T1", user_id="U1", channel_id="C9")
    assert result["text"] == "You follow:\n• EU · instant"
    assert "You follow nothing now." in _reply(deps, unsubscribe_reply, "all")


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


# -- end to end: signed /policy over HTTP, a real poll over loopback, DMs on the fake Slack --

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Policy wire</title><link>https://news.example.org/</link>
<description>Synthetic</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://news.example.org/{slug}</link>
<guid>{slug}</guid><pubDate>{date}</pubDate><description>{text}</description></item>"""


def _feed(*items: tuple[str, str, str]) -> bytes:
    date = format_datetime(NOW - timedelta(hours=1))
    body = "".join(ITEM.format(title=t, slug=s, date=date, text=x) for s, t, x in items)
    return FEED.format(items=body).encode()


UK_ITEM = (
    "uk-chips",
    "UK adds advanced AI chips to its strategic export control list",
    "The Export Control Joint Unit added advanced AI semiconductors and chip-making equipment "
    "to the UK Strategic Export Control Lists; exporters now need a licence.",
)
JP_ITEM = (
    "jp-privacy",
    "Japan's privacy regulator consults on personal data in AI training",
    "The Personal Information Protection Commission of Japan opened a consultation on "
    "personal data protection for generative AI training.",
)


@pytest.fixture
def e2e_deps(
    database_url: str,
    sessions: SessionFactory,
    engine: Engine,
    slack: HistoryFakeSlack,
    tmp_path: Path,
) -> Deps:
    settings = Settings(
        database_url=database_url,
        sources_path=tmp_path / "sources.toml",
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        allow_private_sources=True,
        fetch_timeout_seconds=5,
        _env_file=None,  # type: ignore[call-arg]
    )
    return Deps(settings=settings, sessions=sessions, engine=engine)


def test_subscribe_then_polls_deliver_exactly_one_dm(
    e2e_deps: Deps, slack: HistoryFakeSlack, source_server: SourceServer, tmp_path: Path
) -> None:
    url = source_server.route("/feed", body=_feed(UK_ITEM))
    (tmp_path / "sources.toml").write_text(
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{url}"\nprimary = false\n',
        encoding="utf-8",
    )
    client = web_client(slack)

    def poll_and_alert() -> int:
        report = poll_sources(e2e_deps, all_sources=True)
        assert not report.failed, report.rows
        alerts = deliver_alerts(
            e2e_deps, client=client, now=e2e_deps.clock(), development_ids=report.development_ids
        )
        return alerts.messages

    with serve_app(e2e_deps, slack) as served:
        served.command("subscribe UK export-controls", user="U0BOSS")
        [reply] = served.wait_responses(1)
        assert "Subscribed: UK · export-controls · instant" in reply["text"]

    # A matching development: one DM.
    assert poll_and_alert() == 1
    [dm] = slack.messages()
    assert slack.calls_to("conversations.open")[0]["users"] == "U0BOSS"
    assert "UK adds advanced AI chips" in dm.text
    assert "you follow UK, export-controls" in dm.text
    # A development that does not match: nothing.
    source_server.route("/feed", body=_feed(UK_ITEM, JP_ITEM))
    assert poll_and_alert() == 0
    # A second poll with nothing new: nothing.
    assert poll_and_alert() == 0
    assert len(slack.messages()) == 1


def test_a_user_who_cannot_be_dmed_is_paused_and_status_says_so(
    e2e_deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    slack.users_that_cannot_be_messaged.add("U0GONE")
    with serve_app(e2e_deps, slack) as served:
        served.command("subscribe UK", user="U0GONE", response_id="sub")
        served.wait_responses(1)
        add_development(
            sessions, title="UK AI chip rule", jurisdictions=["UK"], at=e2e_deps.clock()
        )
        report = deliver_alerts(e2e_deps, client=web_client(slack), now=e2e_deps.clock())
        assert report.paused == ["U0GONE"]
        served.command("status", response_id="status")
        status = served.wait_responses(2)[1]
    text = str(status)
    assert "Paused alert subscriptions" in text
    assert "<@U0GONE>: UK · instant" in text
    assert "user_not_found" in text
    assert slack.messages() == []
