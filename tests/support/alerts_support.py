"""Helpers for the alert and subscription tests: stored developments and a fake Slack that
also answers `conversations.history` (with message metadata), which alert recovery reads."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, select

from bot.alerts.delivery import SlackAlertTransport
from bot.deps import Deps
from bot.slack.client import SlackPoster
from store.db import SessionFactory, session_scope
from store.models import Development, Item, Source
from support.fakeslack import FakeSlack


class HistoryFakeSlack(FakeSlack):
    """FakeSlack plus `conversations.history`: top-level messages, newest first."""

    def _m_conversations_history(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        channel = params.get("channel")
        oldest = float(params.get("oldest") or 0)
        found = [
            m
            for m in self._messages
            if m.channel == channel and m.thread_ts is None and float(m.ts) >= oldest
        ]
        messages = []
        for m in reversed(found):
            message: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if isinstance(m.params.get("metadata"), dict):
                message["metadata"] = m.params["metadata"]
            messages.append(message)
        return 200, {}, {"ok": True, "messages": messages, "has_more": False}


@pytest.fixture
def slack() -> Iterator[HistoryFakeSlack]:
    with HistoryFakeSlack() as fake:
        yield fake


def web_client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.url)


def transport(fake: FakeSlack) -> SlackAlertTransport:
    client = web_client(fake)
    # The real pacing path, on a clock that never waits.
    return SlackAlertTransport(client, poster=SlackPoster(client, sleep=lambda _s: None))


def sessions_with_competitor(
    sessions: SessionFactory, *, before: str, table: str, action: Callable[[], None]
) -> SessionFactory:
    """Sessions for the process under test: just before its first `before` ("insert" or
    "update") on `table`, `action` (another process, on its own connection and sessions)
    runs once and commits. The race happens at that exact step, every time."""
    done = False

    def hook(state: ORMExecuteState) -> None:
        nonlocal done
        statement_table = getattr(state.statement, "table", None)
        kind_matches = state.is_insert if before == "insert" else state.is_update
        if done or not kind_matches or getattr(statement_table, "name", None) != table:
            return
        done = True
        action()

    def make() -> Session:
        session = sessions()
        event.listen(session, "do_orm_execute", hook)
        return session

    return make


def add_development(
    sessions: SessionFactory,
    *,
    title: str,
    jurisdictions: list[str],
    topics: list[str] | None = None,
    importance: str = "medium",
    at: datetime,
    announce: str = "pending",
    revision: int = 1,
    url: str | None = None,
) -> int:
    """Store a development (with one item of a primary source) updated at `at`; its id."""
    with session_scope(sessions) as session:
        source = session.exec(select(Source).where(Source.name == "test-source")).first()
        if source is None:
            source = Source(name="test-source", kind="feed", url="https://example.gov/feed")
            session.add(source)
            session.flush()
        dev = Development(
            title=title,
            summary=f"Summary of {title}",
            jurisdictions=jurisdictions,
            topics=topics if topics is not None else ["export-controls"],
            importance=importance,
            published_at=at,
            first_seen_at=at,
            updated_at=at,
            announce=announce,
            revision=revision,
        )
        session.add(dev)
        session.flush()
        assert dev.id is not None and source.id is not None
        session.add(
            Item(
                source_id=source.id,
                development_id=dev.id,
                guid=f"guid-{dev.id}",
                url=url or f"https://example.gov/doc/{dev.id}",
                title=title,
                content_hash=f"h{dev.id}",
                published_at=at,
            )
        )
        return dev.id


SIGNING_SECRET = "test-signing-secret"


def make_app(deps: Deps, fake: FakeSlack, *modules: Any) -> App:
    """A bolt App on the fake Slack with the given handler modules registered; listeners
    finish before `dispatch` returns, so tests see their effects at once."""
    app = App(
        client=web_client(fake),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )
    for module in modules:
        module.register(app, deps)
    return app


def signed(body: str, content_type: str) -> BoltRequest:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return BoltRequest(
        body=body,
        headers={
            "content-type": [content_type],
            "x-slack-signature": [signature],
            "x-slack-request-timestamp": [timestamp],
        },
    )


def dispatch_action(app: App, payload: dict[str, Any]) -> BoltResponse:
    body = urlencode({"payload": json.dumps(payload)})
    return app.dispatch(signed(body, "application/x-www-form-urlencoded"))


def dispatch_event(app: App, envelope: dict[str, Any]) -> BoltResponse:
    return app.dispatch(signed(json.dumps(envelope), "application/json"))


def app_home_opened(user: str = "U1", team: str = "T1", tab: str = "home") -> dict[str, Any]:
    """The `app_home_opened` envelope of tests/fixtures/slack (Slack's docs example)."""
    path = (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "slack"
        / "request_event_app_home_opened_ADAPTED.json"
    )
    envelope: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    envelope["team_id"] = team
    envelope["event"].update({"type": "app_home_opened", "user": user, "tab": tab})
    envelope["event"].pop("view", None)
    return envelope


def block_action(
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    team: str = "T1",
    channel: str | None = None,
    response_url: str | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload as Slack sends it for a button press."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": "example"},
        "user": {"id": user, "username": "manager", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1.2",
            }
        ],
    }
    if channel is not None:
        payload["channel"] = {"id": channel, "name": "x"}
        payload["container"] = {"type": "message", "channel_id": channel, "message_ts": "1.1"}
    if response_url is not None:
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
    return payload
