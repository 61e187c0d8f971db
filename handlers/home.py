"""App Home: publish the home tab when it is opened; add and remove subscriptions from it."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.alerts.home import home_view
from bot.alerts.subscriptions import (
    SubscriptionError,
    describe_subscription,
    remove_subscription,
    subscribe,
)
from bot.deps import Deps
from bot.slack.blocks.home import (
    ADD_BLOCK_ID,
    ADD_BUTTON_ACTION,
    ADD_JURISDICTION_ACTION,
    ADD_MODE_ACTION,
    ADD_TOPIC_ACTION,
    ANY_TOPIC,
    REMOVE_ACTION_PREFIX,
)
from store.db import session_scope

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        home_opened(deps, event=event, body=body, client=client)

    def on_remove(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        remove_from_home(deps, body=body, action=action, client=client)

    def on_add(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        add_from_home(deps, body=body, client=client)

    def on_select(ack: Ack) -> None:
        # The selects only hold state until "Add" is pressed.
        ack()

    app.event("app_home_opened")(on_home_opened)
    app.action(re.compile(f"^{REMOVE_ACTION_PREFIX}_\\d+$"))(on_remove)
    app.action(ADD_BUTTON_ACTION)(on_add)
    for action_id in (ADD_JURISDICTION_ACTION, ADD_TOPIC_ACTION, ADD_MODE_ACTION):
        app.action(action_id)(on_select)


def _team_id(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id") or "")


def publish_home(
    deps: Deps, *, client: WebClient, team_id: str, user_id: str, notice: str | None = None
) -> None:
    with session_scope(deps.sessions) as session:
        view = home_view(
            session, team_id=team_id, user_id=user_id, settings=deps.settings, notice=notice
        )
    client.views_publish(user_id=user_id, view=view)


def home_opened(
    deps: Deps, *, event: dict[str, Any], body: dict[str, Any], client: WebClient
) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab
    user_id = str(event.get("user") or "")
    if user_id:
        publish_home(deps, client=client, team_id=_team_id(body), user_id=user_id)


def remove_from_home(
    deps: Deps, *, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    user_id = str(body["user"]["id"])
    team_id = _team_id(body)
    try:
        subscription_id = int(action.get("value") or "")
    except ValueError:
        return
    with session_scope(deps.sessions) as session:
        removed = remove_subscription(
            session, team_id=team_id, subscriber_id=user_id, subscription_id=subscription_id
        )
        notice = (
            f"Removed: {describe_subscription(removed)}."
            if removed is not None
            else "That subscription was already gone."
        )
    publish_home(deps, client=client, team_id=team_id, user_id=user_id, notice=notice)


def _selected(values: dict[str, Any], action_id: str) -> str | None:
    state = (values.get(ADD_BLOCK_ID) or {}).get(action_id) or {}
    option = state.get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None


def add_from_home(deps: Deps, *, body: dict[str, Any], client: WebClient) -> None:
    user_id = str(body["user"]["id"])
    team_id = _team_id(body)
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    jurisdiction = _selected(values, ADD_JURISDICTION_ACTION)
    topic = _selected(values, ADD_TOPIC_ACTION)
    mode = _selected(values, ADD_MODE_ACTION) or "instant"
    if not jurisdiction:
        notice = "Pick a jurisdiction first, then press Add."
    else:
        try:
            with session_scope(deps.sessions) as session:
                result = subscribe(
                    session,
                    team_id=team_id,
                    subscriber_kind="user",
                    subscriber_id=user_id,
                    jurisdictions=[jurisdiction],
                    topics=[topic] if topic and topic != ANY_TOPIC else [],
                    mode=mode,
                    created_by=user_id,
                    now=deps.clock(),
                )
                notice = f"Now following: {describe_subscription(result.subscription)}."
        except SubscriptionError as exc:
            notice = str(exc)
    publish_home(deps, client=client, team_id=team_id, user_id=user_id, notice=notice)
