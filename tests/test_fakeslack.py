"""The fake Slack server speaks what the real slack_sdk client expects."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from support.fakeslack import FakeSlack


def _client(fake: FakeSlack, token: str | None = None) -> WebClient:
    # No retry handlers: these tests look at the raw answers.
    return WebClient(token=token or fake.token, base_url=fake.url, retry_handlers=[])


def test_post_message_returns_unique_ts_and_records_thread_replies(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack)
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    assert parent["ts"] != reply["ts"]
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert [m.text for m in fake_slack.parents("C1")] == ["parent"]
    assert [m.text for m in fake_slack.replies(parent["ts"])] == ["reply"]
    assert fake_slack.calls_to("chat.postMessage")[0]["channel"] == "C1"


def test_blocks_arrive_as_lists(fake_slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    _client(fake_slack).chat_postMessage(channel="C1", text="hi", blocks=blocks)
    assert fake_slack.messages("C1")[0].blocks == blocks


def test_wrong_token_is_invalid_auth(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        _client(fake_slack, token="xoxb-wrong").auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_scripted_failure_is_used_then_cleared(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found", channel="C404")
    client = _client(fake_slack)
    client.chat_postMessage(channel="C1", text="other channel unaffected")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C404", text="x")
    assert err.value.response["error"] == "channel_not_found"
    assert err.value.response.status_code == 200
    client.chat_postMessage(channel="C404", text="second try works")


def test_rate_limit_is_a_429_with_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        _client(fake_slack).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["retry-after"] == "7"
    assert fake_slack.count_status(429) == 1


def test_http_error_status(fake_slack: FakeSlack) -> None:
    fake_slack.http_error("chat.postMessage", 503)
    with pytest.raises(SlackApiError) as err:
        _client(fake_slack).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 503
    assert fake_slack.messages() == []


def test_per_channel_rate_enforcer_refuses_a_second_message_within_a_second() -> None:
    now = [100.0]
    with FakeSlack(enforce_per_channel_rate=1.0, clock=lambda: now[0]) as fake:
        client = _client(fake)
        client.chat_postMessage(channel="C1", text="one")
        client.chat_postMessage(channel="C2", text="other channel is fine")
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel="C1", text="too soon")
        assert err.value.response.status_code == 429
        now[0] += 1.0
        client.chat_postMessage(channel="C1", text="a second later")
    assert [m.text for m in fake.messages("C1")] == ["one", "a second later"]


def test_conversations_open_gives_one_dm_channel_per_user(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack)
    first = client.conversations_open(users="U1")["channel"]["id"]
    again = client.conversations_open(users="U1")
    other = client.conversations_open(users="U2")["channel"]["id"]
    assert first.startswith("D") and again["channel"]["id"] == first and other != first
    assert again["already_open"] is True


def test_users_that_cannot_be_messaged(fake_slack: FakeSlack) -> None:
    fake_slack.users_that_cannot_be_messaged.add("UBOT")
    client = _client(fake_slack)
    with pytest.raises(SlackApiError) as err:
        client.conversations_open(users="UBOT")
    assert err.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="UBOT", text="x")
    assert err.value.response["error"] == "cannot_dm_bot"


def test_unknown_methods_are_recorded(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        _client(fake_slack).api_call("bogus.method", json={"a": 1})
    assert err.value.response["error"] == "unknown_method"
    assert fake_slack.calls[-1] == ("bogus.method", {"a": 1})


def test_update_ephemeral_users_info_and_views_publish(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack)
    ts = client.chat_postMessage(channel="C1", text="old")["ts"]
    client.chat_update(channel="C1", ts=ts, text="new")
    assert fake_slack.messages("C1")[0].text == "new"
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    assert client.users_info(user="U9")["user"]["id"] == "U9"
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    assert client.views_publish(user_id="U1", view=view)["view"]["blocks"] == view["blocks"]


def test_response_url_posts_are_recorded(fake_slack: FakeSlack) -> None:
    response = WebhookClient(fake_slack.response_url("abc")).send(
        text="later", response_type="ephemeral"
    )
    assert response.status_code == 200
    assert fake_slack.responses == [("abc", {"text": "later", "response_type": "ephemeral"})]


def test_reset_forgets_everything(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack)
    client.chat_postMessage(channel="C1", text="x")
    fake_slack.fail("auth.test")
    fake_slack.reset()
    assert fake_slack.messages() == [] and fake_slack.calls == []
    assert client.auth_test()["ok"] is True


def test_history_lists_top_level_messages_newest_first_with_metadata(
    fake_slack: FakeSlack,
) -> None:
    client = _client(fake_slack)
    meta = {"event_type": "e", "event_payload": {"id": 1}}
    first = client.chat_postMessage(channel="C1", text="first", metadata=meta)["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first)
    client.chat_postMessage(channel="C1", text="second")
    history = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert [m["text"] for m in history] == ["second", "first"]
    assert history[1]["metadata"] == meta
