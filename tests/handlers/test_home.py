"""The App Home tab, through signed requests to a bolt App and the fake Slack server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support.alerts_support import (
    HistoryFakeSlack,
    add_development,
    app_home_opened,
    block_action,
    dispatch_action,
    dispatch_event,
    make_app,
    signed,
    slack,
)
from support.moments import travel_to

from bot.alerts.subscriptions import list_subscriptions, subscribe
from bot.deps import Deps
from bot.slack.blocks.home import (
    ADD_BLOCK_ID,
    ADD_BUTTON_ACTION,
    ADD_JURISDICTION_ACTION,
    ADD_MODE_ACTION,
    ADD_TOPIC_ACTION,
)
from bot.slack.blocks.text import HOME_BLOCK_LIMIT
from handlers import home
from store.db import SessionFactory, session_scope

__all__ = ["slack"]

NOW = datetime(2027, 6, 7, 0, 30, tzinfo=UTC)  # a Monday just after midnight


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """The real clock (the CLI's, the fake Slack's message timestamps) starts at NOW too."""
    with travel_to(NOW):
        yield


def _published(fake: HistoryFakeSlack) -> list[dict[str, Any]]:
    return fake.calls_to("views.publish")


def _view_text(call: dict[str, Any]) -> str:
    view = call["view"]
    return str(view)


def test_opening_home_publishes_subscriptions_and_latest(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    with session_scope(sessions) as session:
        subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["EU", "NL"],
            topics=["export-controls"],
            now=NOW,
        )
    add_development(sessions, title="Dutch chip export licence", jurisdictions=["NL"], at=NOW)
    add_development(sessions, title="US only rule", jurisdictions=["US"], at=NOW)
    app = make_app(deps, slack, home)
    response = dispatch_event(app, app_home_opened(user="U1", team="T1"))
    assert response.status == 200
    [call] = _published(slack)
    assert call["user_id"] == "U1"
    view = call["view"]
    assert view["type"] == "home"
    assert len(view["blocks"]) <= HOME_BLOCK_LIMIT
    text = _view_text(call)
    assert "EU, NL · export-controls · instant" in text
    assert "Dutch chip export licence" in text
    assert "US only rule" not in text


def test_the_messages_tab_publishes_nothing(deps: Deps, slack: HistoryFakeSlack) -> None:
    app = make_app(deps, slack, home)
    assert dispatch_event(app, app_home_opened(tab="messages")).status == 200
    assert _published(slack) == []


def test_an_unsigned_request_is_refused(deps: Deps, slack: HistoryFakeSlack) -> None:
    app = make_app(deps, slack, home)
    request = signed("{}", "application/json")
    request.headers["x-slack-signature"] = ["v0=bad"]
    assert app.dispatch(request).status == 401


def _add_view(jurisdiction: str | None, topic: str | None, mode: str | None) -> dict[str, Any]:
    def selected(value: str | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value} if value else None}

    return {
        "id": "V1",
        "type": "home",
        "state": {
            "values": {
                ADD_BLOCK_ID: {
                    ADD_JURISDICTION_ACTION: selected(jurisdiction),
                    ADD_TOPIC_ACTION: selected(topic),
                    ADD_MODE_ACTION: selected(mode),
                }
            }
        },
    }


def test_the_add_button_subscribes_and_republishes(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    app = make_app(deps, slack, home)
    payload = block_action(ADD_BUTTON_ACTION, "add", view=_add_view("UK", "sovereignty", "daily"))
    assert dispatch_action(app, payload).status == 200
    with session_scope(sessions) as session:
        [sub] = list_subscriptions(session, team_id="T1", subscriber_id="U1")
        assert (sub.jurisdictions, sub.topics, sub.mode, sub.subscriber_kind) == (
            ["UK"],
            ["sovereignty"],
            "daily",
            "user",
        )
    [call] = _published(slack)
    assert "Now following: UK · sovereignty · daily digest." in _view_text(call)


def test_the_add_button_without_a_jurisdiction_asks_for_one(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    app = make_app(deps, slack, home)
    dispatch_action(app, block_action(ADD_BUTTON_ACTION, "add", view=_add_view(None, None, None)))
    with session_scope(sessions) as session:
        assert list_subscriptions(session, team_id="T1", subscriber_id="U1") == []
    assert "Pick a jurisdiction first" in _view_text(_published(slack)[0])


def test_a_select_is_acknowledged(deps: Deps, slack: HistoryFakeSlack) -> None:
    app = make_app(deps, slack, home)
    payload = block_action(ADD_JURISDICTION_ACTION, "", view=_add_view("UK", None, None))
    assert dispatch_action(app, payload).status == 200
    assert _published(slack) == []


def test_the_remove_button_removes_only_your_subscription(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    with session_scope(sessions) as session:
        mine = subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["EU"],
            now=NOW,
        ).subscription.id
        theirs = subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U2",
            jurisdictions=["EU"],
            now=NOW,
        ).subscription.id
    app = make_app(deps, slack, home)
    dispatch_action(
        app, block_action(f"home_remove_subscription_{theirs}", str(theirs), view={"id": "V1"})
    )
    dispatch_action(
        app, block_action(f"home_remove_subscription_{mine}", str(mine), view={"id": "V1"})
    )
    with session_scope(sessions) as session:
        assert list_subscriptions(session, team_id="T1", subscriber_id="U1") == []
        assert len(list_subscriptions(session, team_id="T1", subscriber_id="U2")) == 1
    texts = [_view_text(c) for c in _published(slack)]
    assert "already gone" in texts[0]
    assert "Removed: EU · instant." in texts[1]
