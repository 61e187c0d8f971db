"""An alert or digest cut by a crash is settled within minutes, by whichever replica is alive.

A sender holds its claim under a short lease (`CLAIM_LEASE`) kept alive while Slack answers;
a killed sender renews nothing, so its lease lapses, and the recovery round (`serve` runs it
every `ALERT_RECOVERY_EVERY` on every replica) checks the conversation's history and sends
what is missing, once. The bot's clock is injected: the rounds run at chosen moments, nothing
waits on the wall clock (except for the heartbeat thread to beat, by condition, not by time).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import update
from sqlmodel import select
from support.alerts_support import HistoryFakeSlack, add_development, slack, transport, web_client
from support.briefing_support import Clock, Crash
from support.moments import travel_to

import bot.alerts.recovery as recovery
import bot.alerts.sending as sending
from bot.alerts.claims import CLAIM_LEASE, ClaimKeeper, claim_batch, renew_claim
from bot.alerts.delivery import AlertReport, deliver_alerts, deliver_due_digests
from bot.alerts.subscriptions import subscribe
from bot.alerts.transport import SlackAlertTransport
from bot.config import Settings
from bot.deps import Deps
from bot.service import ALERT_RECOVERY_EVERY, run_alert_recovery_round
from store.db import SessionFactory, session_scope
from store.models import Delivery

__all__ = ["slack"]  # the fixture, imported for pytest

NOW = datetime(2027, 6, 7, 9, 30, tzinfo=UTC)  # after the 08:00 UTC digest time
# What the README promises with the defaults: a cut claim is settled within 2 minutes.
BOUND = timedelta(minutes=2)


@pytest.fixture(autouse=True)
def _real_clock_at_now() -> Iterator[None]:
    """The fake Slack's message timestamps (the history check reads them) start at NOW too."""
    with travel_to(NOW):
        yield


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def bot(settings: Settings, sessions: SessionFactory, clock: Clock) -> Deps:
    local = settings.model_copy(update={"briefing_time": "08:00", "timezone": "UTC"})
    return Deps(settings=local, sessions=sessions, clock=clock)


class KilledSender(SlackAlertTransport):
    """The process is killed while it posts: before Slack has the message, or just after."""

    def __init__(self, fake: HistoryFakeSlack, *, after_slack: bool) -> None:
        inner = transport(fake)
        super().__init__(inner._client, poster=inner._poster)
        self.after_slack = after_slack

    def post(self, channel: str, payload: dict[str, Any]) -> str:
        if self.after_slack:
            super().post(channel, payload)
        raise Crash


def deliveries(sessions: SessionFactory) -> list[str]:
    with session_scope(sessions) as session:
        return [d.status for d in session.exec(select(Delivery))]


def first_lease(sessions: SessionFactory) -> datetime | None:
    with session_scope(sessions) as session:
        row = session.exec(select(Delivery)).first()
        return row.lease_until if row is not None else None


def subscriber_with_news(bot: Deps, mode: str) -> int:
    with session_scope(bot.sessions) as session:
        subscribe(
            session,
            team_id="T1",
            subscriber_kind="user",
            subscriber_id="U1",
            jurisdictions=["UK"],
            now=NOW - timedelta(days=1),
            mode=mode,
        )
    return add_development(bot.sessions, title="UK AI chips rule", jurisdictions=["UK"], at=NOW)


def send(bot: Deps, fake: HistoryFakeSlack, sender: SlackAlertTransport, mode: str) -> AlertReport:
    deliver = deliver_alerts if mode == "instant" else deliver_due_digests
    return deliver(bot, client=web_client(fake), now=bot.clock(), transport=sender)


@pytest.mark.parametrize("mode", ["instant", "daily"])
@pytest.mark.parametrize("after_slack", [False, True], ids=["before-slack", "after-slack"])
@pytest.mark.parametrize("phase", [timedelta(seconds=1), CLAIM_LEASE - timedelta(seconds=1)])
def test_a_claim_cut_by_a_crash_is_settled_once_within_two_minutes(
    bot: Deps,
    slack: HistoryFakeSlack,
    clock: Clock,
    mode: str,
    after_slack: bool,
    phase: timedelta,
) -> None:
    # `phase`: when the surviving replica's recovery round first runs after the crash; just
    # before the lease lapses is the worst case (the claim then waits one more period).
    subscriber_with_news(bot, mode)
    with pytest.raises(Crash):
        send(bot, slack, KilledSender(slack, after_slack=after_slack), mode)
    crashed_at = clock.now
    assert deliveries(bot.sessions) == ["claimed"]

    settled_at = None
    clock.now = crashed_at + phase
    while clock.now - crashed_at <= 2 * BOUND:
        report = run_alert_recovery_round(bot, holder="survivor", client=web_client(slack))
        assert report is not None
        if report.recovered or report.resent:
            settled_at = clock.now
            assert (report.recovered, report.resent) == ((1, 0) if after_slack else (0, 1))
            break
        clock.now += ALERT_RECOVERY_EVERY

    assert settled_at is not None and settled_at - crashed_at <= CLAIM_LEASE + ALERT_RECOVERY_EVERY
    assert settled_at - crashed_at < BOUND
    assert deliveries(bot.sessions) == ["sent"]
    [message] = slack.messages()
    assert "UK AI chips rule" in message.text
    # Later rounds, and the next delivery, leave it alone.
    clock.now += BOUND
    assert run_alert_recovery_round(bot, holder="survivor", client=web_client(slack)) is not None
    assert send(bot, slack, transport(slack), mode).messages == 0
    assert len(slack.messages()) == 1


def test_recovery_waits_while_the_senders_lease_is_live(
    bot: Deps, slack: HistoryFakeSlack, clock: Clock
) -> None:
    subscriber_with_news(bot, "instant")
    with pytest.raises(Crash):
        send(bot, slack, KilledSender(slack, after_slack=False), "instant")
    clock.now += CLAIM_LEASE - timedelta(seconds=1)
    report = run_alert_recovery_round(bot, holder="survivor", client=web_client(slack))
    assert report is not None and (report.recovered, report.resent) == (0, 0)
    assert deliveries(bot.sessions) == ["claimed"]
    assert slack.messages() == []


class SlowSlack(SlackAlertTransport):
    """Slack answers the post only after three leases' worth of (fake) time; meanwhile the
    other replica's recovery round runs once per lease."""

    def __init__(self, fake: HistoryFakeSlack, bot: Deps, clock: Clock) -> None:
        inner = transport(fake)
        super().__init__(inner._client, poster=inner._poster)
        self.fake, self.bot, self.clock = fake, bot, clock
        self.rounds: list[AlertReport | None] = []

    def post(self, channel: str, payload: dict[str, Any]) -> str:
        step = CLAIM_LEASE / 9
        for n in range(1, 28):  # time passes in steps, the heartbeat beating as it does
            self.clock.now += step
            beat_at(self.bot.sessions, self.clock.now)
            if n % 9 == 0:
                self.rounds.append(
                    run_alert_recovery_round(self.bot, holder="other", client=web_client(self.fake))
                )
        return super().post(channel, payload)


def beat_at(sessions: SessionFactory, moment: datetime) -> None:
    """Wait (by condition, not by time) until the heartbeat has renewed the lease at `moment`."""
    done = threading.Event()
    for _ in range(2000):
        lease = first_lease(sessions)
        if lease is not None and lease >= moment + CLAIM_LEASE:
            return
        done.wait(0.005)
    raise AssertionError(f"the lease was not renewed at {moment}")


def test_a_slow_send_keeps_its_lease_and_is_not_sent_twice(
    bot: Deps, slack: HistoryFakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "ClaimKeeper", functools.partial(ClaimKeeper, every=0.005))
    subscriber_with_news(bot, "instant")
    sender = SlowSlack(slack, bot, clock)

    report = send(bot, slack, sender, "instant")

    assert report.messages == 1
    assert len(sender.rounds) == 3
    assert all(r is not None and (r.recovered, r.resent) == (0, 0) for r in sender.rounds)
    assert deliveries(bot.sessions) == ["sent"]
    assert len(slack.messages()) == 1


def test_the_heartbeat_beats_several_times_per_lease(bot: Deps) -> None:
    keeper = ClaimKeeper(bot, batch_id="b1", owner="me")
    assert 0 < keeper.every * 2 < CLAIM_LEASE.total_seconds()


def claim(bot: Deps, dev: int, *, owner: str, at: datetime) -> str:
    with session_scope(bot.sessions) as session:
        claim_batch(
            session,
            key=("T1", "user", "U1"),
            entries=[(dev, 1, None)],
            batch_id="b1",
            owner=owner,
            now=at,
        )
    return "b1"


def renew(bot: Deps, *, owner: str, at: datetime) -> bool:
    with session_scope(bot.sessions) as session:
        return renew_claim(session, batch_id="b1", owner=owner, now=at)


def test_only_the_holder_renews_and_only_before_its_lease_lapses(bot: Deps) -> None:
    claim(bot, subscriber_with_news(bot, "instant"), owner="A", at=NOW)
    assert not renew(bot, owner="B", at=NOW + timedelta(seconds=10))
    assert renew(bot, owner="A", at=NOW + timedelta(seconds=10))
    assert first_lease(bot.sessions) == NOW + timedelta(seconds=10) + CLAIM_LEASE
    # Lapsed: a recoverer may be taking it over; the late holder must not revive it.
    assert not renew(bot, owner="A", at=NOW + timedelta(seconds=10) + CLAIM_LEASE)


@pytest.mark.parametrize(
    ("age", "settled"), [(timedelta(minutes=16), True), (timedelta(minutes=5), False)]
)
def test_a_claim_from_before_leases_keeps_the_fifteen_minute_rule(
    bot: Deps, slack: HistoryFakeSlack, age: timedelta, settled: bool
) -> None:
    # Written by a replica of the earlier version during a rolling deploy: no lease stored.
    claim(bot, subscriber_with_news(bot, "instant"), owner="old", at=NOW - age)
    with session_scope(bot.sessions) as session:
        session.execute(update(Delivery).values(lease_until=None))
    report = run_alert_recovery_round(bot, holder="survivor", client=web_client(slack))
    assert report is not None and report.resent == (1 if settled else 0)
    assert deliveries(bot.sessions) == (["sent"] if settled else ["claimed"])


class NoticingKeeper(ClaimKeeper):
    """A keeper beating every 5 ms (real), so a lost claim is noticed while Slack answers."""

    made: ClassVar[list[ClaimKeeper]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "every": 0.005})
        NoticingKeeper.made.append(self)


def until_lost(keeper: ClaimKeeper) -> None:
    noticed = threading.Event()
    for _ in range(2000):
        if keeper.lost:
            return
        noticed.wait(0.005)
    raise AssertionError("the heartbeat did not notice the lost claim")


class StalledThenOvertaken(SlackAlertTransport):
    """Stalls (longer than the lease) while opening the DM, before posting or reading its
    history; meanwhile the heartbeat finds the claim lapsed and another replica settles it."""

    def __init__(self, fake: HistoryFakeSlack, bot: Deps, clock: Clock) -> None:
        inner = transport(fake)
        super().__init__(inner._client, poster=inner._poster)
        self.fake, self.bot, self.clock = fake, bot, clock
        self.stalled = False

    def overtaken(self) -> None:
        if self.stalled:
            return
        self.stalled = True
        self.clock.now += CLAIM_LEASE + timedelta(seconds=1)
        until_lost(NoticingKeeper.made[-1])
        other = run_alert_recovery_round(self.bot, holder="other", client=web_client(self.fake))
        assert other is not None and other.resent == 1

    def open_conversation(self, subscriber_kind: str, subscriber_id: str) -> str:
        channel = super().open_conversation(subscriber_kind, subscriber_id)
        self.overtaken()
        return channel

    def find_batch(self, channel: str, batch_id: str, oldest: datetime) -> str | None:
        return None  # what the stalled read saw, before the other replica sent it


def test_a_sender_that_lost_its_claim_while_opening_the_dm_does_not_post(
    bot: Deps, slack: HistoryFakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "ClaimKeeper", NoticingKeeper)
    subscriber_with_news(bot, "instant")
    report = send(bot, slack, StalledThenOvertaken(slack, bot, clock), "instant")
    assert (report.messages, report.skipped) == (0, 1)
    assert len(slack.messages()) == 1
    assert deliveries(bot.sessions) == ["sent"]


def test_a_recoverer_that_lost_the_batch_while_reading_the_history_does_not_send(
    bot: Deps, slack: HistoryFakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recovery, "ClaimKeeper", NoticingKeeper)
    claim(bot, subscriber_with_news(bot, "instant"), owner="dead", at=NOW - CLAIM_LEASE)
    stalled = StalledThenOvertaken(slack, bot, clock)
    report = run_alert_recovery_round(
        bot, holder="first", client=web_client(slack), transport=stalled
    )
    assert report is not None and report.resent == 0
    assert len(slack.messages()) == 1
    assert deliveries(bot.sessions) == ["sent"]
