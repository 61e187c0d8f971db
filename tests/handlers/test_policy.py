"""`/policy` through the real app over HTTP: signed requests, every subcommand, refusals."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from support.fakeslack import FakeSlack
from support.policy_served import SIGNING_SECRET, Served, command_body, serve_app, sign

from bot.config import Settings
from bot.deps import Deps
from bot.sources.sources_file import load_sources_file, sync_sources
from store.db import SessionFactory, session_scope
from store.models import Development, Item, Source, Subscription

ADMIN = "U0ADMIN"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


@pytest.fixture
def policy_deps(
    database_url: str,
    sessions: SessionFactory,
    engine: Engine,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> Deps:
    settings = Settings(
        database_url=database_url,
        sources_path=tmp_path / "sources.toml",
        slack_bot_token=fake_slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admins=[ADMIN],
        _env_file=None,  # type: ignore[call-arg]
    )
    return Deps(settings=settings, sessions=sessions, engine=engine)


@pytest.fixture
def served(policy_deps: Deps, fake_slack: FakeSlack) -> Iterator[Served]:
    with serve_app(policy_deps, fake_slack) as s:
        yield s


def _seed(sessions: SessionFactory) -> int:
    with session_scope(sessions) as s:
        src = Source(name="gov-nl", kind="feed", url="https://gov.nl/feed", primary=True)
        s.add(src)
        s.flush()
        dev = Development(
            title="The Hague sets licence duty on advanced lithography <tools>",
            summary="Dutch export licence for chip-making lithography equipment & more.",
            jurisdictions=["NL"],
            topics=["export-controls"],
            importance="high",
            published_at=datetime(2023, 6, 30, tzinfo=UTC),
            search_text="Dutch chip export rules lithography licence",
        )
        s.add(dev)
        s.flush()
        s.add(
            Item(
                source_id=src.id or 0,
                development_id=dev.id,
                guid="x",
                url="https://gov.nl/order",
                title=dev.title,
                content_hash="x",
                published_at=dev.published_at,
            )
        )
        return dev.id or 0


def _all_text(payload: dict) -> str:  # type: ignore[type-arg]
    return str(payload.get("text", "")) + str(payload.get("blocks", ""))


def test_help_is_answered_in_the_acknowledgement(served: Served) -> None:
    response = served.command("help")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/policy ask" in _all_text(body)
    assert served.fake.responses == []


def test_empty_text_gives_help(served: Served) -> None:
    assert "/policy ask" in _all_text(served.command("").json())


def test_unknown_subcommand_names_the_nearest_match(served: Served) -> None:
    body = served.command("serch gallium").json()
    assert "Did you mean `/policy search`" in _all_text(body)


def test_text_over_1000_characters_gets_a_polite_refusal(served: Served) -> None:
    body = served.command("ask " + "x" * 1200).json()
    assert "at most 1,000" in body["text"]


def test_ask_is_acknowledged_then_answered_through_response_url(
    served: Served, sessions: SessionFactory
) -> None:
    _seed(sessions)
    response = served.command("ask any new Dutch chip export rules?")
    assert response.status_code == 200
    (payload,) = served.wait_responses(1)
    assert payload["response_type"] == "ephemeral"
    text = _all_text(payload)
    assert "https://gov.nl/order" in text
    # Outside text is escaped: a title cannot open a Slack control sequence.
    assert "&lt;tools&gt;" in text and "<tools>" not in text
    assert "Share in channel" in text


def test_slow_answers_run_on_the_background_pool_after_the_ack(
    policy_deps: Deps, fake_slack: FakeSlack, sessions: SessionFactory
) -> None:
    # serve gives Deps a small pool; while its only worker is busy, new commands are still
    # acknowledged at once, and their answers follow when the worker frees up.
    _seed(sessions)
    release = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1)
    pool.submit(release.wait, 10)
    deps = replace(policy_deps, background=pool)
    try:
        with serve_app(deps, fake_slack) as served:
            responses = [served.command(f"search lithography {n}") for n in range(3)]
            assert [r.status_code for r in responses] == [200, 200, 200]
            time.sleep(0.2)
            assert fake_slack.responses == []  # acknowledged, not yet answered
            release.set()
            payloads = served.wait_responses(3)
        assert all("lithography" in _all_text(p) for p in payloads)
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_ask_with_nothing_matching_says_so(served: Served, sessions: SessionFactory) -> None:
    _seed(sessions)
    served.command("ask what's in Brazil's AI bill?")
    (payload,) = served.wait_responses(1)
    assert "Nothing tracked matches" in payload["text"]


def test_latest_and_search_list_developments(served: Served, sessions: SessionFactory) -> None:
    _seed(sessions)
    served.command("latest NL", response_id="a")
    served.command("search lithography", response_id="b")
    payloads = served.wait_responses(2)
    assert all("lithography" in _all_text(p) for p in payloads)
    served.command("latest JP", response_id="c")
    assert "Nothing tracked" in _all_text(served.wait_responses(3)[2])


def test_sources_and_status(served: Served, sessions: SessionFactory) -> None:
    _seed(sessions)
    served.command("sources", response_id="a")
    (listing,) = served.wait_responses(1)
    assert "gov-nl" in _all_text(listing)
    served.command("status", response_id="b")
    status = served.wait_responses(2)[1]
    assert "Developments tracked" in _all_text(status)


def test_a_non_admin_cannot_add_or_remove_sources(served: Served, sessions: SessionFactory) -> None:
    _seed(sessions)
    served.command("sources add https://example.org/feed.xml", user="U0NOBODY", response_id="a")
    served.command("sources remove gov-nl", user="U0NOBODY", response_id="b")
    replies = served.wait_responses(2)
    assert all("Only policybot admins" in p["text"] for p in replies)
    with session_scope(sessions) as s:
        assert [x.name for x in s.exec(select(Source)).all()] == ["gov-nl"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8080/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/feed",
        "http://[::1]/feed",
        "file:///etc/passwd",
    ],
)
def test_sources_add_refuses_private_and_metadata_addresses(
    served: Served, sessions: SessionFactory, url: str
) -> None:
    served.command(f"sources add {url}", user=ADMIN)
    (reply,) = served.wait_responses(1)
    assert "cannot be a source" in reply["text"]
    with session_scope(sessions) as s:
        assert s.exec(select(Source)).all() == []


def test_an_admin_adds_and_removes_a_public_source(
    served: Served, sessions: SessionFactory
) -> None:
    # A literal public address: no DNS needed in the test.
    served.command(
        "sources add https://93.184.215.14/feed.xml feed UK", user=ADMIN, response_id="a"
    )
    (added,) = served.wait_responses(1)
    assert "Added source" in added["text"], added
    with session_scope(sessions) as s:
        (src,) = s.exec(select(Source)).all()
        assert src.origin == "slack" and src.added_by == ADMIN and src.jurisdictions == ["UK"]
        name = src.name
    served.command(f"sources remove {name}", user=ADMIN, response_id="b")
    removed = served.wait_responses(2)[1]
    assert "Removed source" in removed["text"]
    with session_scope(sessions) as s:
        assert s.exec(select(Source)).one().enabled is False


def test_a_file_source_removed_from_slack_stays_removed_at_the_next_syncs(
    served: Served, sessions: SessionFactory, policy_deps: Deps
) -> None:
    sources_file = policy_deps.settings.sources_path
    sources_file.write_text(
        '[[sources]]\nname = "nl-feed"\nkind = "feed"\nurl = "https://gov.nl/feed"\n'
        "primary = true\n",
        encoding="utf-8",
    )

    def sync_from_file() -> Source:
        specs, _ = load_sources_file(policy_deps.settings.sources_file)
        with session_scope(sessions) as s:
            sync_sources(s, specs=specs, now=policy_deps.clock())
        with session_scope(sessions) as s:
            return s.exec(select(Source).where(Source.name == "nl-feed")).one()

    assert sync_from_file().enabled is True
    served.command("sources remove nl-feed", user=ADMIN)
    assert "Removed source" in served.wait_responses(1)[0]["text"]
    assert sync_from_file().enabled is False
    assert sync_from_file().enabled is False, "a second poll must not enable it either"
    # Taken out of the file and listed there again, it is watched again.
    kept = sources_file.read_text(encoding="utf-8")
    sources_file.write_text(kept.replace("nl-feed", "other-feed"), encoding="utf-8")
    sync_from_file()
    sources_file.write_text(kept, encoding="utf-8")
    assert sync_from_file().enabled is True


def test_subscribe_through_the_slash_command_stores_the_subscription(
    served: Served, sessions: SessionFactory
) -> None:
    served.command("subscribe NL export-controls daily", response_id="a")
    (reply,) = served.wait_responses(1)
    assert reply["text"].startswith("Subscribed:")
    with session_scope(sessions) as s:
        (sub,) = s.exec(select(Subscription)).all()
        assert sub.jurisdictions == ["NL"] and sub.topics == ["export-controls"]
        assert sub.mode == "daily" and sub.subscriber_kind == "user"


def test_a_forged_signature_is_refused_with_401(served: Served) -> None:
    body = command_body("help", response_url=served.fake.response_url())
    headers = {"content-type": "application/x-www-form-urlencoded", **sign(body, secret="wrong")}
    response = served.client.post(served.base_url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 401


def test_a_stale_timestamp_is_refused_with_401(served: Served) -> None:
    body = command_body("help", response_url=served.fake.response_url())
    old = int(time.time()) - 6 * 60
    headers = {"content-type": "application/x-www-form-urlencoded", **sign(body, timestamp=old)}
    response = served.client.post(served.base_url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 401


def test_slacks_own_signed_test_vector_is_refused_outside_its_replay_window(
    served: Served,
) -> None:
    # The real signed body from Slack's docs, with its real signature, but from 2018.
    import json

    meta = json.loads((FIXTURES / "request_slash_command_signed.meta.json").read_text())
    body = (FIXTURES / "request_slash_command_signed.body.txt").read_bytes()
    response = served.client.post(
        served.base_url + "/slack/events", content=body, headers=meta["headers"]
    )
    assert response.status_code == 401


def test_a_listener_error_shows_no_internal_detail(
    served: Served, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack.command_service as command_service

    def boom(*args: object, **kwargs: object) -> dict[str, object]:
        raise RuntimeError("secret internal detail: sqlite:///x.db")

    monkeypatch.setattr(command_service, "status_reply", boom)
    served.command("status")
    (reply,) = served.wait_responses(1)
    assert "something went wrong" in reply["text"]
    assert "secret internal detail" not in str(reply)


def _share_body(value: str, response_url: str) -> str:
    import json
    from urllib.parse import urlencode

    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "test"},
        "user": {"id": "U0USER", "username": "tester", "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": "C0CHAN",
            "is_ephemeral": True,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": "C0CHAN", "name": "policy"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": "policy_share",
                "block_id": "policy_share",
                "type": "button",
                "value": value,
                "action_ts": "2.2",
                "text": {"type": "plain_text", "text": "Share in channel"},
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def test_share_in_channel_posts_the_reply_for_everyone(
    served: Served, sessions: SessionFactory
) -> None:
    _seed(sessions)
    response = served.post(
        _share_body("ask any new Dutch chip export rules?", served.fake.response_url("s"))
    )
    assert response.status_code == 200
    shared, deleted = served.wait_responses(2)
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert "lithography" in _all_text(shared)
    assert "Shared by <@U0USER>" in _all_text(shared)
    assert all(b["type"] != "actions" for b in shared["blocks"])
    assert deleted["delete_original"] is True


def test_share_of_something_unshareable_is_refused_privately(served: Served) -> None:
    served.post(_share_body("sources remove x", served.fake.response_url("s")))
    (reply,) = served.wait_responses(1)
    assert reply["response_type"] == "ephemeral"
    assert "could not be shared" in reply["text"]


def test_adding_a_watched_url_again_is_refused(served: Served, sessions: SessionFactory) -> None:
    with session_scope(sessions) as s:
        s.add(Source(name="ip-feed", kind="feed", url="https://93.184.215.14/feed"))
    served.command("sources add https://93.184.215.14/feed", user=ADMIN, response_id="a")
    (reply,) = served.wait_responses(1)
    assert "already watched as `ip-feed`" in reply["text"]


def test_help_for_a_non_admin_and_admin_alike_needs_no_store(served: Served) -> None:
    for user in (ADMIN, "U0OTHER"):
        assert served.command("help", user=user).json()["response_type"] == "ephemeral"


def test_in_socket_mode_the_same_listeners_answer_without_a_signing_secret(
    database_url: str, sessions: SessionFactory, engine: Engine, fake_slack: FakeSlack
) -> None:
    from slack_bolt.request import BoltRequest
    from slack_sdk import WebClient

    from bot.slack.app import build_app
    from handlers import register_all

    settings = Settings(
        database_url=database_url,
        slack_bot_token=fake_slack.token,
        slack_api_url=fake_slack.url,
        _env_file=None,  # type: ignore[call-arg]
    )
    deps = Deps(settings=settings, sessions=sessions, engine=engine)
    app = build_app(
        deps, client=WebClient(token=fake_slack.token, base_url=fake_slack.url), socket_mode=True
    )
    register_all(app, deps)
    body = command_body("help", response_url=fake_slack.response_url())
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert "/policy ask" in response.body
