"""Alert delivery through the real slack_sdk client against the fake Slack server.

Exactly once: a matching development is one DM; a second run sends nothing; a crash between
sending and recording, or two processes at once, never produce a second message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select
from support.alerts_support import (
    HistoryFakeSlack,
    add_development,
    sessions_with_competitor,
    slack,
    transport,
    web_client,
)
from support.moments import travel_to
from support.timeline_support import add_timeline

import bot.alerts.sending as sending
from bot.alerts.delivery import (
    CLAIM_LEASE,
    AlertReport,
    DeliveryError,
    SlackAlertTransport,
    claim_batch,
    deliver_alerts,
    deliver_due_digests,
    match_developments,
    recover_stale_claims,
)
from bot.alerts.subscriptions import subscribe
from bot.config import Settings
from bot.deps import Deps
from store.db import SessionFactory, session_scope
from store.models import Delivery, Development, Subscription

__all__ = ["slack"]  # the fixture, imported for pytest

NOW = datetime(2027, 6, 7, 0, 30, tzinfo=UTC)  # a Monday just after midnight


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """The real clock (the CLI's, the fake Slack's message timestamps) starts at NOW too."""
    with travel_to(NOW):
        yield


def _subscribe(
    sessions: SessionFactory,
    *codes: str,
    subscriber: str = "U1",
    kind: str = "user",
    at: datetime = NOW - timedelta(hours=1),
    **kw: object,
) -> int:
    with session_scope(sessions) as session:
        result = subscribe(
            session,
            team_id="T1",
            subscriber_kind=kind,
            subscriber_id=subscriber,
            jurisdictions=codes,
            now=at,
            **kw,  # type: ignore[arg-type]
        )
        assert result.subscription.id is not None
        return result.subscription.id


def _deliver(
    deps: Deps, fake: HistoryFakeSlack, *, now: datetime = NOW, **kw: object
) -> AlertReport:
    return deliver_alerts(
        deps,
        client=web_client(fake),
        now=now,
        transport=transport(fake),
        **kw,  # type: ignore[arg-type]
    )


def _deliveries(sessions: SessionFactory) -> list[tuple[str, int, int, str]]:
    with session_scope(sessions) as session:
        rows = session.exec(select(Delivery).order_by(Delivery.id))  # type: ignore[arg-type]
        return [(d.subscriber_id, d.development_id, d.revision, d.status) for d in rows]


def _claim(sessions: SessionFactory, dev: int, sub_id: int, *, batch_id: str, owner: str) -> None:
    """U1's claim of `dev` by process `owner`, made at NOW (stale after CLAIM_LEASE)."""
    with session_scope(sessions) as session:
        claim_batch(
            session,
            key=("T1", "user", "U1"),
            entries=[(dev, 1, sub_id)],
            batch_id=batch_id,
            owner=owner,
            now=NOW,
        )


def test_a_matching_development_is_one_dm(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "UK", topics=["export-controls"])
    dev = add_development(
        sessions, title="UK adds AI chips to control list", jurisdictions=["UK"], at=NOW
    )
    report = _deliver(deps, slack, development_ids=[dev])
    assert report.messages == 1
    assert [c["users"] for c in slack.calls_to("conversations.open")] == ["U1"]
    [message] = slack.messages()
    assert message.channel.startswith("D")
    assert "UK adds AI chips to control list" in message.text
    assert "you follow UK, export-controls" in message.text
    assert any(b["type"] == "actions" for b in message.blocks or [])
    assert _deliveries(sessions) == [("U1", dev, 1, "sent")]


def test_an_alert_says_when_the_development_takes_effect(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "EU")
    dev = add_development(sessions, title="GPAI code of practice", jurisdictions=["EU"], at=NOW)
    add_timeline(sessions, dev, ("effective", date(2026, 8, 2)), ("deadline", date(2026, 5, 1)))

    assert _deliver(deps, slack, development_ids=[dev]).messages == 1

    [message] = slack.messages()
    assert "(due 1 May 2026; takes effect 2 August 2026)" in message.text
    shown = json.dumps(message.blocks, ensure_ascii=False)
    assert "due 1 May 2026 · takes effect 2 August 2026" in shown


def test_a_non_matching_development_sends_nothing(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "UK", topics=["export-controls"], min_importance="high")
    add_development(sessions, title="US rule", jurisdictions=["US"], importance="high", at=NOW)
    add_development(
        sessions,
        title="UK privacy",
        jurisdictions=["UK"],
        topics=["data-protection"],
        importance="high",
        at=NOW,
    )
    add_development(sessions, title="UK minor", jurisdictions=["UK"], importance="low", at=NOW)
    add_development(
        sessions,
        title="UK backfill",
        jurisdictions=["UK"],
        importance="high",
        at=NOW,
        announce="never",
    )
    report = _deliver(deps, slack)
    assert report.messages == 0
    assert slack.messages() == []
    assert _deliveries(sessions) == []


def test_a_second_run_sends_nothing(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "EU")
    dev = add_development(sessions, title="EU AI Act guidance", jurisdictions=["EU"], at=NOW)
    _deliver(deps, slack, development_ids=[dev])
    again = _deliver(deps, slack, now=NOW + timedelta(minutes=30))
    assert again.messages == 0
    assert len(slack.messages()) == 1


def test_developments_older_than_the_subscription_do_not_alert(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    add_development(sessions, title="Old", jurisdictions=["EU"], at=NOW - timedelta(hours=2))
    _subscribe(sessions, "EU", at=NOW - timedelta(hours=1))
    assert _deliver(deps, slack).messages == 0


def test_several_developments_are_grouped_in_one_message(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "EU", "NL")
    ids = [
        add_development(sessions, title=f"Dev {i}", jurisdictions=["NL"], at=NOW) for i in range(13)
    ]
    report = _deliver(deps, slack, development_ids=ids)
    assert report.messages == 1
    assert report.delivered == 13
    [message] = slack.messages()
    assert "and 3 more" in message.text
    assert "/policy latest NL" in message.text


def test_an_update_alerts_again_once_marked_updated(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "US")
    dev = add_development(sessions, title="BIS interim final rule", jurisdictions=["US"], at=NOW)
    _deliver(deps, slack, development_ids=[dev])
    with session_scope(sessions) as session:
        row = session.get(Development, dev)
        assert row is not None
        row.revision = 2
        row.updated_at = NOW + timedelta(hours=1)
        session.add(row)
    _deliver(deps, slack, now=NOW + timedelta(hours=1), development_ids=[dev])
    _deliver(deps, slack, now=NOW + timedelta(hours=2), development_ids=[dev])
    messages = slack.messages()
    assert len(messages) == 2
    assert "updated development" in messages[1].text
    assert _deliveries(sessions) == [("U1", dev, 1, "sent"), ("U1", dev, 2, "sent")]


def test_a_channel_subscription_posts_to_the_channel(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "CN", subscriber="C42", kind="channel")
    add_development(sessions, title="MOFCOM export list", jurisdictions=["CN"], at=NOW)
    _deliver(deps, slack)
    assert slack.calls_to("conversations.open") == []
    assert [m.channel for m in slack.messages()] == ["C42"]


def test_a_crash_between_send_and_record_never_sends_twice(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK sanctions AI", jurisdictions=["UK"], at=NOW)

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("process killed after chat.postMessage")

    with monkeypatch.context() as patch:
        patch.setattr(sending, "mark_sent", crash)
        with pytest.raises(RuntimeError):
            _deliver(deps, slack, development_ids=[dev])
    assert len(slack.messages()) == 1
    assert _deliveries(sessions) == [("U1", dev, 1, "claimed")]
    # A restart inside the lease: the claim is someone's, nothing is sent.
    _deliver(deps, slack, now=NOW + CLAIM_LEASE / 2)
    assert len(slack.messages()) == 1
    # After the lease: the message is found in the DM's history and recorded, not re-sent.
    report = _deliver(deps, slack, now=NOW + CLAIM_LEASE + timedelta(minutes=1))
    assert report.recovered == 1
    assert report.messages == 0
    assert len(slack.messages()) == 1
    assert _deliveries(sessions) == [("U1", dev, 1, "sent")]


def test_a_crash_between_claim_and_send_never_loses_the_alert(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    sub_id = _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK AI chips", jurisdictions=["UK"], at=NOW)
    _claim(sessions, dev, sub_id, batch_id="b1", owner="dead")
    assert _deliver(deps, slack, now=NOW + CLAIM_LEASE / 2).messages == 0
    report = _deliver(deps, slack, now=NOW + CLAIM_LEASE + timedelta(minutes=1))
    assert report.resent == 1
    [message] = slack.messages()
    assert message.params["metadata"]["event_payload"] == {"batch_id": "b1"}
    assert _deliveries(sessions) == [("U1", dev, 1, "sent")]
    assert _deliver(deps, slack, now=NOW + 2 * CLAIM_LEASE).messages == 0
    assert len(slack.messages()) == 1


def test_an_unreadable_history_prefers_a_lost_alert_to_a_duplicate(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    sub_id = _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK AI chips", jurisdictions=["UK"], at=NOW)
    _claim(sessions, dev, sub_id, batch_id="b1", owner="dead")
    slack.fail("conversations.history", "missing_scope")
    report = _deliver(deps, slack, now=NOW + CLAIM_LEASE + timedelta(minutes=1))
    assert report.failed == 1
    assert slack.messages() == []
    assert _deliveries(sessions) == [("U1", dev, 1, "failed")]


def test_two_processes_at_once_send_one_message(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "EU")
    _subscribe(sessions, "EU", subscriber="U2")
    ids = [
        add_development(sessions, title=f"EU {i}", jurisdictions=["EU"], at=NOW) for i in range(3)
    ]
    reports: list[AlertReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            reports.append(_deliver(deps, slack, development_ids=ids))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_channel: dict[str, int] = {}
    for m in slack.messages():
        per_channel[m.channel] = per_channel.get(m.channel, 0) + 1
    assert sorted(per_channel.values()) == [1, 1]
    assert sum(r.delivered for r in reports) == 6
    assert [s for *_, s in _deliveries(sessions)] == ["sent"] * 6


def test_a_user_who_cannot_be_messaged_is_paused_not_retried(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _subscribe(sessions, "UK", subscriber="UGONE")
    slack.users_that_cannot_be_messaged.add("UGONE")
    add_development(sessions, title="UK rule", jurisdictions=["UK"], at=NOW)
    with caplog.at_level(logging.WARNING, logger="bot.alerts"):
        report = _deliver(deps, slack)
    assert report.paused == ["UGONE"]
    assert "UGONE" in caplog.text and "user_not_found" in caplog.text
    with session_scope(sessions) as session:
        sub = session.exec(select(Subscription)).one()
        assert sub.paused_at is not None
        assert sub.pause_reason == "Slack said user_not_found"
    add_development(
        sessions, title="UK rule 2", jurisdictions=["UK"], at=NOW + timedelta(minutes=5)
    )
    opens = len(slack.calls_to("conversations.open"))
    _deliver(deps, slack, now=NOW + timedelta(minutes=10))
    assert len(slack.calls_to("conversations.open")) == opens
    assert slack.messages() == []


@pytest.mark.parametrize("error", ["cannot_dm_bot", "messages_tab_disabled"])
def test_a_dm_slack_refuses_on_post_pauses_too(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack, error: str
) -> None:
    _subscribe(sessions, "UK")
    add_development(sessions, title="UK rule", jurisdictions=["UK"], at=NOW)
    slack.fail("chat.postMessage", error)
    report = _deliver(deps, slack)
    assert report.paused == ["U1"]
    assert _deliveries(sessions)[0][3] == "failed"


def test_a_transient_failure_is_retried_on_the_next_run(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "UK")
    add_development(sessions, title="UK rule", jurisdictions=["UK"], at=NOW)
    slack.fail("chat.postMessage", "ratelimited", times=10)
    first = _deliver(deps, slack)
    assert first.messages == 0 and first.failed == 1
    assert _deliveries(sessions) == []
    slack.reset()
    assert _deliver(deps, slack, now=NOW + timedelta(minutes=1)).messages == 1


def test_daily_subscribers_get_one_digest_at_the_briefing_time(
    sessions: SessionFactory, slack: HistoryFakeSlack, settings: Settings
) -> None:
    day = datetime(2026, 11, 26, tzinfo=UTC)
    local_settings = settings.model_copy(update={"briefing_time": "08:00", "timezone": "UTC"})
    deps = Deps(settings=local_settings, sessions=sessions)
    _subscribe(sessions, "EU", mode="daily", at=day - timedelta(hours=6))
    _subscribe(sessions, "EU", subscriber="U2", at=day - timedelta(hours=6))
    for i in range(2):
        add_development(
            sessions, title=f"EU {i}", jurisdictions=["EU"], at=day + timedelta(hours=1)
        )

    def digests(at: datetime) -> AlertReport:
        return deliver_due_digests(
            deps, client=web_client(slack), now=at, transport=transport(slack)
        )

    # Instant alerts skip daily subscribers.
    deliver_alerts(
        deps, client=web_client(slack), now=day + timedelta(hours=2), transport=transport(slack)
    )
    assert len(slack.messages()) == 1
    # Not before 08:00.
    assert digests(day + timedelta(hours=7)).messages == 0
    report = digests(day + timedelta(hours=8, minutes=1))
    assert report.messages == 1
    digest = slack.messages()[-1]
    assert "daily policy digest: 2 developments" in digest.text
    assert digests(day + timedelta(hours=12)).messages == 0
    assert len(slack.messages()) == 2


def test_matching_indexes_by_jurisdiction() -> None:
    sub = Subscription(
        id=1,
        team_id="T",
        subscriber_kind="user",
        subscriber_id="U",
        jurisdictions=["EU", "NL"],
        topics=["export-controls"],
        created_at=NOW - timedelta(days=1),
    )
    paused = Subscription(
        id=2,
        team_id="T",
        subscriber_kind="user",
        subscriber_id="V",
        jurisdictions=["NL"],
        created_at=NOW - timedelta(days=1),
        paused_at=NOW,
    )
    devs = [
        Development(id=1, jurisdictions=["NL", "US"], topics=["export-controls"], updated_at=NOW),
        Development(id=2, jurisdictions=["NL"], topics=["sovereignty"], updated_at=NOW),
        Development(
            id=3,
            jurisdictions=["EU", "NL"],
            topics=["export-controls"],
            updated_at=NOW,
            announce="never",
        ),
    ]
    result = match_developments([sub, paused], devs)
    assert list(result) == [("T", "user", "U")]
    assert [m.development.id for m in result[("T", "user", "U")]] == [1]


def test_a_server_error_on_post_is_checked_then_sent_once(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK rule", jurisdictions=["UK"], at=NOW)
    slack.http_error("chat.postMessage", 500)
    first = _deliver(deps, slack)
    assert first.messages == 0 and first.failed == 1
    assert _deliveries(sessions) == [("U1", dev, 1, "claimed")]
    # The next run, well inside a lease: an ambiguous failure is checked at once.
    second = _deliver(deps, slack, now=NOW + CLAIM_LEASE / 2)
    assert second.resent == 1
    assert len(slack.messages()) == 1
    assert _deliveries(sessions) == [("U1", dev, 1, "sent")]


class _LostAnswer:
    """Posts for real, then loses Slack's answer (a timeout after Slack took the message)."""

    def __init__(self, inner: SlackAlertTransport) -> None:
        self.inner = inner

    def open_conversation(self, kind: str, subscriber_id: str) -> str:
        return self.inner.open_conversation(kind, subscriber_id)

    def post(self, channel: str, payload: dict[str, object]) -> str:
        self.inner.post(channel, payload)
        raise DeliveryError("connection_error", transient=True)

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None:
        return self.inner.find_batch(channel, batch_id, oldest)


def test_a_lost_answer_after_slack_took_the_message_is_not_sent_twice(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK rule", jurisdictions=["UK"], at=NOW)
    deliver_alerts(deps, client=web_client(slack), now=NOW, transport=_LostAnswer(transport(slack)))
    assert len(slack.messages()) == 1
    report = _deliver(deps, slack, now=NOW + CLAIM_LEASE / 2)
    assert report.recovered == 1 and report.messages == 0
    assert len(slack.messages()) == 1
    assert _deliveries(sessions) == [("U1", dev, 1, "sent")]


def test_what_a_subscriber_already_has_is_not_claimed_again(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    """Deliveries already claimed or sent are dropped before claiming, so `skipped` counts
    only developments another process claimed first."""
    _subscribe(sessions, "EU")
    dev = add_development(sessions, title="EU AI Act guidance", jurisdictions=["EU"], at=NOW)
    _deliver(deps, slack, development_ids=[dev])
    again = _deliver(deps, slack, now=NOW + timedelta(minutes=30), development_ids=[dev])
    assert (again.messages, again.skipped) == (0, 0)


def test_a_development_another_process_claims_first_is_left_to_it(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    """Another process claims one development between our matching and our claim: our
    message carries only what we claimed; theirs is theirs to send."""
    sub_id = _subscribe(sessions, "EU")
    taken = add_development(sessions, title="EU chips rule", jurisdictions=["EU"], at=NOW)
    free = add_development(sessions, title="EU cloud guidance", jurisdictions=["EU"], at=NOW)

    def other_process_claims() -> None:
        _claim(sessions, taken, sub_id, batch_id="theirs", owner="other")

    racing = Deps(
        settings=deps.settings,
        sessions=sessions_with_competitor(
            sessions, before="insert", table="deliveries", action=other_process_claims
        ),
    )
    report = _deliver(racing, slack, development_ids=[taken, free])
    assert (report.messages, report.delivered, report.skipped) == (1, 1, 1)
    [message] = slack.messages()
    assert "EU cloud guidance" in message.text
    assert "EU chips rule" not in message.text
    assert sorted(_deliveries(sessions)) == [("U1", taken, 1, "claimed"), ("U1", free, 1, "sent")]


def test_two_recoverers_of_one_stale_batch_send_it_once(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    """Both read the stale claim; the other takes it over first (and is still checking the
    history); our take-over then finds the claim no longer stale and sends nothing."""
    sub_id = _subscribe(sessions, "UK")
    dev = add_development(sessions, title="UK AI chips", jurisdictions=["UK"], at=NOW)
    _claim(sessions, dev, sub_id, batch_id="b1", owner="dead")
    later = NOW + CLAIM_LEASE + timedelta(minutes=1)
    checking = _StillChecking()

    def other_recoverer_takes_over() -> None:
        recover_stale_claims(deps, transport=checking, now=later)

    racing = Deps(
        settings=deps.settings,
        sessions=sessions_with_competitor(
            sessions, before="update", table="deliveries", action=other_recoverer_takes_over
        ),
    )
    report = _deliver(racing, slack, now=later)
    assert checking.opened == ["U1"]
    assert (report.messages, report.resent, report.recovered) == (0, 0, 0)
    assert slack.messages() == []
    assert _deliveries(sessions) == [("U1", dev, 1, "claimed")]


class _StillChecking:
    """A recoverer's transport that has taken a batch over and is still waiting for Slack."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open_conversation(self, kind: str, subscriber_id: str) -> str:
        self.opened.append(subscriber_id)
        raise DeliveryError("ratelimited", transient=True)

    def post(self, channel: str, payload: dict[str, object]) -> str:
        raise AssertionError("a recoverer still checking posts nothing")

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None:
        raise AssertionError("a recoverer still checking reads no history")


def test_a_stale_batch_is_settled_by_its_own_id_not_by_another_alert(
    deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    """The DM already holds an earlier alert (another batch); recovering a batch that never
    went out finds no message with its id, so it is sent, not marked sent and lost."""
    sub_id = _subscribe(sessions, "UK")
    first = add_development(sessions, title="UK export list", jurisdictions=["UK"], at=NOW)
    _deliver(deps, slack, development_ids=[first])
    second = add_development(sessions, title="UK compute rule", jurisdictions=["UK"], at=NOW)
    _claim(sessions, second, sub_id, batch_id="b2", owner="dead")
    report = _deliver(deps, slack, now=NOW + CLAIM_LEASE + timedelta(minutes=1))
    assert (report.resent, report.recovered) == (1, 0)
    earlier, resent = slack.messages()
    assert earlier.channel == resent.channel
    assert "UK compute rule" in resent.text
    assert resent.params["metadata"]["event_payload"] == {"batch_id": "b2"}
    assert _deliveries(sessions) == [("U1", first, 1, "sent"), ("U1", second, 1, "sent")]


DIGEST_DAY = datetime(2026, 11, 26, tzinfo=UTC)  # the digests go out at 08:00 UTC


@pytest.fixture
def digest_deps(sessions: SessionFactory, settings: Settings) -> Deps:
    local = settings.model_copy(update={"briefing_time": "08:00", "timezone": "UTC"})
    _subscribe(sessions, "EU", mode="daily", at=DIGEST_DAY - timedelta(hours=6))
    return Deps(settings=local, sessions=sessions)


def _digests(deps: Deps, fake: HistoryFakeSlack, *, at: datetime) -> AlertReport:
    return deliver_due_digests(deps, client=web_client(fake), now=at, transport=transport(fake))


def test_a_development_after_the_days_digest_waits_for_the_next_one(
    digest_deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    add_development(sessions, title="EU early", jurisdictions=["EU"], at=DIGEST_DAY)
    assert _digests(digest_deps, slack, at=DIGEST_DAY + timedelta(hours=8)).messages == 1
    add_development(
        sessions, title="EU later", jurisdictions=["EU"], at=DIGEST_DAY + timedelta(hours=9)
    )
    assert _digests(digest_deps, slack, at=DIGEST_DAY + timedelta(hours=12)).messages == 0
    next_day = _digests(digest_deps, slack, at=DIGEST_DAY + timedelta(days=1, hours=8))
    assert next_day.messages == 1
    assert "EU later" in slack.messages()[-1].text


def test_a_digest_that_could_not_be_sent_is_retried_the_same_day(
    digest_deps: Deps, sessions: SessionFactory, slack: HistoryFakeSlack
) -> None:
    add_development(sessions, title="EU rule", jurisdictions=["EU"], at=DIGEST_DAY)
    slack.fail("chat.postMessage", "ratelimited", times=10)
    failed = _digests(digest_deps, slack, at=DIGEST_DAY + timedelta(hours=8))
    assert (failed.messages, failed.failed) == (0, 1)
    slack.reset()
    retried = _digests(digest_deps, slack, at=DIGEST_DAY + timedelta(hours=8, minutes=30))
    assert retried.messages == 1
    assert "EU rule" in slack.messages()[0].text
