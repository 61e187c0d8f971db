"""The Slack client and paced poster, through the real slack_sdk against the fake server."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from pydantic import SecretStr
from support.fakeslack import FakeSlack

from bot.config import MissingSettingError, Settings
from bot.slack.client import FatalSlackError, RetryableSlackError, SlackPoster, make_web_client


class FakeTime:
    """A monotonic clock whose sleep advances it (shared by the poster and the fake server)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def slack_settings(settings: Settings, fake: FakeSlack) -> Settings:
    return settings.model_copy(
        update={"slack_api_url": fake.url, "slack_bot_token": SecretStr(fake.token)}
    )


def poster_for(settings: Settings, fake: FakeSlack, time: FakeTime | None = None) -> SlackPoster:
    client = make_web_client(slack_settings(settings, fake), backoff_factor=0.01)
    if time is None:
        return SlackPoster(client)
    return SlackPoster(client, clock=time.clock, sleep=time.sleep)


def test_client_needs_a_token(settings: Settings) -> None:
    with pytest.raises(MissingSettingError, match="SLACK_BOT_TOKEN"):
        make_web_client(settings)


def test_client_uses_slack_api_url(settings: Settings, fake_slack: FakeSlack) -> None:
    client = make_web_client(slack_settings(settings, fake_slack))
    assert client.auth_test()["bot_id"]
    assert fake_slack.calls[0][0] == "auth.test"


def test_poster_paces_one_message_per_second_per_channel(settings: Settings) -> None:
    time = FakeTime()
    with FakeSlack(enforce_per_channel_rate=1.0, clock=time.clock) as fake:
        poster = poster_for(settings, fake, time)
        parent = poster.post_message("C1", "parent")
        for i in range(5):
            poster.post_message("C1", f"reply {i}", thread_ts=parent.ts)
        poster.post_message("C2", "another channel is not held back")
    assert fake.count_status(429) == 0
    assert len(fake.replies(parent.ts)) == 5
    assert time.sleeps == pytest.approx([1.0] * 5)
    assert time.now == pytest.approx(1005.0)


def test_poster_without_pacing_trips_the_enforcer(settings: Settings) -> None:
    # The same enforcer refuses an unpaced poster: the pacing test above can fail.
    time = FakeTime()
    with FakeSlack(enforce_per_channel_rate=1.0, clock=time.clock) as fake:
        client = make_web_client(slack_settings(settings, fake))
        client.retry_handlers.clear()
        poster = SlackPoster(
            client, min_interval=0, clock=time.clock, sleep=time.sleep, max_ratelimited_retries=0
        )
        poster.post_message("C1", "one")
        with pytest.raises(RetryableSlackError) as err:
            poster.post_message("C1", "two")
    assert err.value.error == "ratelimited"
    assert fake.count_status(429) == 1


def test_429_with_retry_after_is_retried(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=1)
    result = poster_for(settings, fake_slack).post_message("C1", "after a 429")
    assert result.ts == fake_slack.messages("C1")[0].ts
    assert fake_slack.count_status(429) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_ratelimited_in_a_200_body_is_treated_like_a_429(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    time = FakeTime()
    fake_slack.fail("chat.postMessage", "ratelimited")
    poster = poster_for(settings, fake_slack, time)
    poster.post_message("C1", "eventually")
    assert [m.text for m in fake_slack.messages()] == ["eventually"]
    assert poster.ratelimited_answers == 1
    assert 1.0 in time.sleeps


@pytest.mark.parametrize(
    "error",
    ["channel_not_found", "not_in_channel", "invalid_auth", "is_archived", "messages_tab_disabled"],
)
def test_fatal_channel_errors_raise_with_the_code(
    settings: Settings, fake_slack: FakeSlack, error: str
) -> None:
    fake_slack.fail("chat.postMessage", error, channel="CBAD")
    poster = poster_for(settings, fake_slack)
    with pytest.raises(FatalSlackError) as err:
        poster.post_message("CBAD", "x")
    assert err.value.error == error and err.value.channel == "CBAD"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # not retried
    poster.post_message("CGOOD", "others still work")


def test_dm_to_a_user_that_cannot_be_messaged_is_fatal(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.users_that_cannot_be_messaged.add("UBOT")
    with pytest.raises(FatalSlackError) as err:
        poster_for(settings, fake_slack).post_message("UBOT", "hi")
    assert err.value.error == "cannot_dm_bot"


def test_server_errors_are_retried_with_backoff(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.http_error("chat.postMessage", 500, times=2)
    poster_for(settings, fake_slack).post_message("C1", "third time lucky")
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    assert len(fake_slack.messages()) == 1


def test_lasting_server_errors_are_retryable_failures(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.http_error("chat.postMessage", 503, times=10)
    with pytest.raises(RetryableSlackError) as err:
        poster_for(settings, fake_slack).post_message("C1", "x")
    assert err.value.status == 503


def test_connection_refused_is_a_retryable_failure(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = settings.model_copy(
        update={
            "slack_api_url": f"http://127.0.0.1:{port}/api/",
            "slack_bot_token": SecretStr("xoxb-secret-value-123"),
        }
    )
    poster = SlackPoster(make_web_client(settings, backoff_factor=0.01))
    with pytest.raises(RetryableSlackError) as err:
        poster.post_message("C1", "x")
    assert "xoxb-secret-value-123" not in str(err.value)


def test_token_never_reaches_the_logs(
    settings: Settings, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Another test may have quietened slack_sdk (serve's log setup does); turn it back up here.
    caplog.set_level(logging.DEBUG, logger="slack_sdk")
    caplog.set_level(logging.DEBUG, logger="slack_sdk.web")
    poster = poster_for(settings, fake_slack)
    poster.post_message("C1", "hello")
    fake_slack.fail("chat.postMessage", "invalid_auth")
    with pytest.raises(FatalSlackError) as err:
        poster.post_message("C1", "x")
    assert "slack_sdk" in {r.name.split(".")[0] for r in caplog.records}  # debug logs were on
    assert fake_slack.token not in caplog.text
    assert fake_slack.token not in str(err.value)


def test_thread_messages_reads_reply_metadata(settings: Settings, fake_slack: FakeSlack) -> None:
    poster = poster_for(settings, fake_slack)
    parent = poster.post_message("C1", "parent")
    meta = {"event_type": "x", "event_payload": {"post_id": 5}}
    reply = poster.post_message("C1", "reply", thread_ts=parent.ts, metadata=meta)
    thread = poster.thread_messages("C1", parent.ts)
    assert [m["ts"] for m in thread] == [parent.ts, reply.ts]
    assert thread[1]["metadata"] == meta
    assert poster.thread_messages("C1", "999.000") == []
