"""Daily briefings end to end: the store, the real slack_sdk client and the fake Slack server."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import select
from support.fakeslack import FakeSlack

from bot.briefings import (
    ChannelFilter,
    parse_briefing_filters,
    period_for,
    preview_briefing,
    run_briefing,
    run_briefings,
)
from bot.config import Settings
from bot.deps import Deps
from bot.slack.blocks.text import HEADER_TEXT_LIMIT, MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT
from bot.slack.client import PostResult, SlackPoster, make_web_client
from store.db import SessionFactory, session_scope
from store.models import Briefing, BriefingPost, Development, Item, Source

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
HOSTILE = "<!channel> *bold* & <https://evil.example|click>"


class Clock:
    """The time the bot sees; tests move it forward."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeTime:
    """A monotonic clock for pacing whose sleep advances it (no real waiting)."""

    def __init__(self) -> None:
        self.now = 5000.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(seconds, 0.0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pacing() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake(pacing: FakeTime) -> Iterator[FakeSlack]:
    # Enforces Slack's one message per second per channel on the poster's (fake) clock.
    with FakeSlack(enforce_per_channel_rate=1.0, clock=pacing.clock) as server:
        yield server


@pytest.fixture
def bot_settings(settings: Settings, fake: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "slack_api_url": fake.url,
            "slack_bot_token": SecretStr(fake.token),
            "briefing_channels": ["C1"],
        }
    )


@pytest.fixture
def bot(bot_settings: Settings, sessions: SessionFactory, engine: Engine, clock: Clock) -> Deps:
    return Deps(settings=bot_settings, sessions=sessions, clock=clock, engine=engine)


@pytest.fixture
def poster(bot_settings: Settings, pacing: FakeTime) -> SlackPoster:
    client = make_web_client(bot_settings, backoff_factor=0.01)
    return SlackPoster(client, clock=pacing.clock, sleep=pacing.sleep)


def with_settings(deps: Deps, **changes: Any) -> Deps:
    return Deps(
        settings=deps.settings.model_copy(update=changes),
        sessions=deps.sessions,
        clock=deps.clock,
        engine=deps.engine,
    )


def add_source(
    sessions: SessionFactory,
    name: str = "bis",
    *,
    primary: bool = True,
    last_success_at: datetime | None = NOW,
    last_error: str | None = None,
) -> int:
    with session_scope(sessions) as session:
        source = Source(
            name=name,
            kind="feed",
            url=f"https://{name}.example/feed",
            primary=primary,
            last_success_at=last_success_at,
            last_status="ok" if last_error is None else "error",
            last_error=last_error,
        )
        session.add(source)
        session.flush()
        assert source.id is not None
        return source.id


def add_development(
    sessions: SessionFactory,
    source_id: int,
    n: int,
    *,
    title: str | None = None,
    summary: str | None = None,
    importance: str = "medium",
    jurisdictions: Sequence[str] = ("US",),
    topics: Sequence[str] = ("export-controls",),
    first_seen_at: datetime = NOW - timedelta(hours=2),
    announce: str = "pending",
) -> int:
    with session_scope(sessions) as session:
        dev = Development(
            title=title or f"Development {n}",
            summary=summary or f"What happened in development {n}.",
            jurisdictions=list(jurisdictions),
            topics=list(topics),
            importance=importance,
            first_seen_at=first_seen_at,
            published_at=first_seen_at,
            announce=announce,
        )
        session.add(dev)
        session.flush()
        assert dev.id is not None
        add_item(session, source_id, dev.id, f"https://bis.example/doc/{n}", first_seen_at)
        return dev.id


def add_item(session: Any, source_id: int, dev_id: int, url: str, seen: datetime) -> None:
    session.add(
        Item(
            source_id=source_id,
            development_id=dev_id,
            guid=url,
            url=url,
            title="",
            content_hash=hashlib.sha256(url.encode()).hexdigest(),
            first_seen_at=seen,
            updated_at=seen,
        )
    )


def bump_with_new_item(sessions: SessionFactory, source_id: int, dev_id: int, at: datetime) -> None:
    with session_scope(sessions) as session:
        dev = session.get(Development, dev_id)
        assert dev is not None
        dev.revision += 1
        dev.updated_at = at
        add_item(session, source_id, dev_id, f"https://bis.example/final/{dev_id}", at)


def briefings(sessions: SessionFactory) -> list[Briefing]:
    with session_scope(sessions) as session:
        return list(session.exec(select(Briefing).order_by(Briefing.id)).all())  # type: ignore[arg-type]


def posts(sessions: SessionFactory) -> list[BriefingPost]:
    with session_scope(sessions) as session:
        return list(session.exec(select(BriefingPost).order_by(BriefingPost.id)).all())  # type: ignore[arg-type]


def reply_texts(fake: FakeSlack, parent_ts: str) -> list[str]:
    return [m.text for m in fake.replies(parent_ts)]


# -- content ---------------------------------------------------------------------------------
def test_parent_then_one_reply_per_development_most_important_first(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    add_development(bot.sessions, source, 1, importance="low")
    add_development(bot.sessions, source, 2, importance="high")
    add_development(bot.sessions, source, 3)

    outcome = run_briefing(bot, poster, channel="C1")

    assert outcome.status == "complete" and outcome.replies_posted == 3
    [parent] = fake.parents("C1")
    assert parent.ts == outcome.parent_ts
    assert "3 new developments" in parent.text
    assert [t.split(" (")[0] for t in reply_texts(fake, parent.ts)] == [
        "Development 2",
        "Development 3",
        "Development 1",
    ]
    assert all(m.text and m.blocks for m in fake.messages())  # fallback text on every message
    [row] = briefings(bot.sessions)
    assert (row.status, row.period, row.parent_ts) == ("complete", "2026-11-26", parent.ts)
    rows = posts(bot.sessions)
    assert {p.ts for p in rows} == {m.ts for m in fake.replies(parent.ts)}
    assert all(p.status == "posted" and p.thread_ts == parent.ts for p in rows)
    assert fake.count_status(429) == 0


def test_second_run_in_the_same_period_posts_nothing(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    add_development(bot.sessions, add_source(bot.sessions), 1)
    run_briefing(bot, poster, channel="C1")
    again = run_briefing(bot, poster, channel="C1")
    assert again.status == "already_complete"
    assert len(fake.messages()) == 2


def test_next_briefing_holds_only_what_was_first_seen_since(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, clock: Clock
) -> None:
    source = add_source(bot.sessions)
    add_development(bot.sessions, source, 1)
    add_development(bot.sessions, source, 99, first_seen_at=NOW - timedelta(hours=30))  # too old
    run_briefing(bot, poster, channel="C1")
    clock.now = NOW + timedelta(days=1)
    add_development(bot.sessions, source, 2, first_seen_at=NOW + timedelta(hours=3))
    with session_scope(bot.sessions) as session:
        session.exec(select(Source)).one().last_success_at = clock.now
    outcome = run_briefing(bot, poster, channel="C1")
    first, second = fake.parents("C1")
    assert reply_texts(fake, first.ts)[0].startswith("Development 1")
    assert len(reply_texts(fake, first.ts)) == 1
    assert [t.split(" (")[0] for t in reply_texts(fake, second.ts)] == ["Development 2"]
    assert outcome.period == "2026-11-27"


def test_never_announced_and_filtered_developments_are_left_out(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    add_development(bot.sessions, source, 1, jurisdictions=["US"], topics=["export-controls"])
    add_development(bot.sessions, source, 2, jurisdictions=["UK"], topics=["sovereignty"])
    add_development(bot.sessions, source, 3, jurisdictions=["EU"], topics=["regulation"])
    add_development(bot.sessions, source, 4, announce="never")
    deps = with_settings(bot, briefing_filters="C1=US,Britain;C2=EU")
    run_briefing(deps, poster, channel="C1")
    run_briefing(deps, poster, channel="C2")
    [p1] = fake.parents("C1")
    [p2] = fake.parents("C2")
    assert sorted(t.split(" (")[0] for t in reply_texts(fake, p1.ts)) == [
        "Development 1",
        "Development 2",
    ]
    assert [t.split(" (")[0] for t in reply_texts(fake, p2.ts)] == ["Development 3"]


def test_quiet_day_posts_one_line_or_nothing(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    outcome = run_briefing(bot, poster, channel="C1")
    assert outcome.status == "quiet"
    assert [m.text for m in fake.messages()] == [
        "AI policy briefing for 2026-11-26: nothing new today."
    ]
    silent = with_settings(bot, briefing_quiet="none")
    assert run_briefing(silent, poster, channel="C2").status == "quiet"
    assert fake.messages("C2") == []
    assert {b.status for b in briefings(bot.sessions)} == {"complete"}


def test_parent_footer_names_sources_not_reached_since_last_briefing(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    add_source(
        bot.sessions, "gov-uk", last_success_at=NOW - timedelta(days=3), last_error="HTTP 503"
    )
    add_development(bot.sessions, source, 1)
    run_briefing(bot, poster, channel="C1")
    [parent] = fake.parents("C1")
    footer = parent.blocks[-1]["elements"][0]["text"]  # type: ignore[index]
    assert footer == "Not reached since the last briefing: gov-uk (HTTP 503)"


# -- updates ---------------------------------------------------------------------------------
def test_update_goes_into_the_existing_thread_and_is_counted_in_the_next_parent(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, clock: Clock
) -> None:
    source = add_source(bot.sessions)
    dev = add_development(bot.sessions, source, 1, title="Proposed rule on AI chips")
    run_briefing(bot, poster, channel="C1")
    [first_parent] = fake.parents("C1")

    clock.now = NOW + timedelta(days=1)
    bump_with_new_item(bot.sessions, source, dev, NOW + timedelta(hours=5))
    add_development(bot.sessions, source, 2, first_seen_at=NOW + timedelta(hours=6))
    run_briefing(bot, poster, channel="C1")

    first_thread = reply_texts(fake, first_parent.ts)
    assert len(first_thread) == 2
    assert first_thread[1].startswith("Update: Proposed rule on AI chips")
    second_parent = fake.parents("C1")[1]
    assert "1 new development" in second_parent.text and "1 update" in second_parent.text
    assert [t.split(" (")[0] for t in reply_texts(fake, second_parent.ts)] == ["Development 2"]
    update_blocks = fake.replies(first_parent.ts)[1].blocks or []
    assert any("(primary · new)" in str(b) for b in update_blocks)

    clock.now = NOW + timedelta(days=2)
    run_briefing(bot, poster, channel="C1")  # nothing changed: no second update
    assert len(reply_texts(fake, first_parent.ts)) == 2


# -- hostile feeds and limits -----------------------------------------------------------------
def test_hostile_feed_reaches_slack_escaped(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions, "evil-feed")
    add_development(bot.sessions, source, 1, title=HOSTILE, summary=HOSTILE)
    run_briefing(bot, poster, channel="C1")
    for message in fake.messages():
        payload = str(message.text) + str(message.blocks)
        assert "<!channel>" not in payload
        assert "<https://evil" not in payload
        assert "&lt;!channel&gt; *bold* &amp; &lt;https://evil.example|click&gt;" in payload


def test_sixty_development_day_stays_within_limits_and_pace(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, pacing: FakeTime
) -> None:
    source = add_source(bot.sessions)
    long_summary = "Export controls on advanced computing items " * 120
    for n in range(60):
        add_development(
            bot.sessions,
            source,
            n,
            title=f"Rule {n} " + "very long title " * 30,
            summary=long_summary,
            importance=("high", "medium", "low")[n % 3],
        )
    started = pacing.now
    outcome = run_briefing(bot, poster, channel="C1")
    assert outcome.replies_posted == 60
    assert len(fake.messages("C1")) == 61
    assert fake.count_status(429) == 0
    assert pacing.now - started >= 60.0  # one message per second
    for message in fake.messages():
        blocks = message.blocks or []
        assert message.text and len(blocks) <= MESSAGE_BLOCK_LIMIT
        for block in blocks:
            limit = HEADER_TEXT_LIMIT if block["type"] == "header" else SECTION_TEXT_LIMIT
            if "text" in block:
                assert len(block["text"]["text"]) <= limit


# -- failures --------------------------------------------------------------------------------
def test_429_mid_thread_is_waited_out(bot: Deps, poster: SlackPoster, fake: FakeSlack) -> None:
    source = add_source(bot.sessions)
    for n in range(3):
        add_development(bot.sessions, source, n)
    fake.rate_limit("chat.postMessage", retry_after=1, after=2)
    outcome = run_briefing(bot, poster, channel="C1")
    assert outcome.status == "complete"
    assert len(reply_texts(fake, outcome.parent_ts or "")) == 3
    assert fake.count_status(429) == 1


def test_500_mid_thread_then_the_next_run_resumes_the_same_thread(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    for n in range(4):
        add_development(bot.sessions, source, n)
    fake.http_error("chat.postMessage", 500, times=10, after=3)  # parent + 2 replies get through
    first = run_briefing(bot, poster, channel="C1")
    assert (first.status, first.replies_posted) == ("interrupted", 2)
    fake.clear_failures()

    second = run_briefing(bot, poster, channel="C1")

    assert second.status == "complete" and second.resumed
    assert second.replies_posted == 2
    [parent] = fake.parents("C1")
    texts = reply_texts(fake, parent.ts)
    assert len(texts) == 4 and len(set(texts)) == 4


def test_channel_not_found_fails_that_channel_once_and_others_get_theirs(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    add_development(bot.sessions, add_source(bot.sessions), 1)
    fake.fail("chat.postMessage", "channel_not_found", channel="CGONE", times=100)
    caplog.set_level(logging.INFO, logger="bot.briefings")

    outcomes = {o.channel: o for o in run_briefings(bot, poster, channels=["CGONE", "C1"])}

    assert outcomes["CGONE"].status == "failed"
    assert outcomes["CGONE"].error == "channel_not_found"
    assert outcomes["C1"].status == "complete"
    assert len(fake.calls_to("chat.postMessage")) == 1 + 2  # one try for CGONE, two for C1
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "CGONE" in failures[0].getMessage() and "channel_not_found" in failures[0].getMessage()
    gone = next(b for b in briefings(bot.sessions) if b.channel == "CGONE")
    assert (gone.status, gone.error) == ("failed", "channel_not_found")


def test_failed_channel_is_briefed_when_run_again_after_the_fix(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    add_development(bot.sessions, add_source(bot.sessions), 1)
    fake.fail("chat.postMessage", "not_in_channel", channel="C1")
    assert run_briefing(bot, poster, channel="C1").status == "failed"
    outcome = run_briefing(bot, poster, channel="C1")  # the bot was invited meanwhile
    assert outcome.status == "complete" and outcome.replies_posted == 1
    assert len(fake.parents("C1")) == 1


def test_reply_whose_blocks_slack_refuses_is_posted_as_text(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    for n in range(2):
        add_development(bot.sessions, source, n)
    fake.fail("chat.postMessage", "invalid_blocks", after=1)  # the first reply
    outcome = run_briefing(bot, poster, channel="C1")
    assert outcome.status == "complete" and outcome.replies_posted == 2
    first, second = fake.replies(outcome.parent_ts or "")
    assert first.blocks is None and first.text.startswith("Development")
    assert second.blocks


# -- exactly once ----------------------------------------------------------------------------
class Crash(BaseException):
    """A kill: nothing in the bot catches it."""


class CrashingPoster(SlackPoster):
    """Dies after `survive` messages; with `after_slack=True`, after Slack accepted the next."""

    def __init__(self, inner: SlackPoster, survive: int, *, after_slack: bool = False) -> None:
        super().__init__(inner.client, clock=inner._clock, sleep=inner._sleep)
        self.survive = survive
        self.after_slack = after_slack

    def post_message(self, *args: Any, **kwargs: Any) -> PostResult:
        if self.survive == 0:
            if self.after_slack:
                super().post_message(*args, **kwargs)
            raise Crash
        self.survive -= 1
        return super().post_message(*args, **kwargs)


@pytest.mark.parametrize("after_slack", [False, True], ids=["before-slack", "after-slack"])
@pytest.mark.parametrize("survive", [0, 1, 3])
def test_crash_mid_briefing_then_resume_posts_nothing_twice(
    bot: Deps,
    poster: SlackPoster,
    fake: FakeSlack,
    clock: Clock,
    pacing: FakeTime,
    survive: int,
    after_slack: bool,
) -> None:
    source = add_source(bot.sessions)
    for n in range(5):
        add_development(bot.sessions, source, n)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(poster, survive, after_slack=after_slack), channel="C1")

    # While the crashed run's lease lasts, nobody else posts.
    assert run_briefing(bot, poster, channel="C1").status == "in_progress"

    clock.now = NOW + timedelta(minutes=11)
    pacing.sleep(1.0)  # the restart takes a moment; the new process knows no earlier pace
    outcome = run_briefing(bot, poster, channel="C1")

    assert outcome.status == "complete" and outcome.resumed
    [parent] = fake.parents("C1")
    texts = reply_texts(fake, parent.ts)
    assert len(texts) == 5 and len(set(texts)) == 5
    assert len(fake.messages()) == 6
    assert fake.count_status(429) == 0


@pytest.mark.parametrize("survive", [0, 2])
def test_without_history_scope_only_the_message_in_flight_can_repeat(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, clock: Clock, pacing: FakeTime, survive: int
) -> None:
    # The documented window: Slack accepted a message, the crash came before its ts was
    # committed, and the bot may not read history. That one message is posted again.
    source = add_source(bot.sessions)
    for n in range(3):
        add_development(bot.sessions, source, n)
    fake.fail("conversations.history", "missing_scope", times=10)
    fake.fail("conversations.replies", "missing_scope", times=10)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(poster, survive, after_slack=True), channel="C1")
    clock.now = NOW + timedelta(minutes=11)
    pacing.sleep(1.0)
    assert run_briefing(bot, poster, channel="C1").status == "complete"
    assert len(fake.messages()) == 1 + 3 + 1
    texts = reply_texts(fake, fake.parents("C1")[-1].ts)
    assert len(set(texts)) == 3


def test_crash_left_open_yesterday_is_finished_before_today(
    bot: Deps, poster: SlackPoster, fake: FakeSlack, clock: Clock, pacing: FakeTime
) -> None:
    source = add_source(bot.sessions)
    for n in range(3):
        add_development(bot.sessions, source, n)
    with pytest.raises(Crash):
        run_briefing(bot, CrashingPoster(poster, 2), channel="C1")
    clock.now = NOW + timedelta(days=1)
    pacing.sleep(1.0)
    add_development(bot.sessions, source, 7, first_seen_at=NOW + timedelta(hours=4))
    outcome = run_briefing(bot, poster, channel="C1")
    yesterday, today = fake.parents("C1")
    assert len(reply_texts(fake, yesterday.ts)) == 3
    assert [t.split(" (")[0] for t in reply_texts(fake, today.ts)] == ["Development 7"]
    assert outcome.status == "complete"
    assert [b.status for b in briefings(bot.sessions)] == ["complete", "complete"]


def test_two_concurrent_runs_post_once(
    bot: Deps, bot_settings: Settings, pacing: FakeTime, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    for n in range(4):
        add_development(bot.sessions, source, n)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        own = SlackPoster(make_web_client(bot_settings), clock=pacing.clock, sleep=pacing.sleep)
        barrier.wait()
        outcomes.append(run_briefing(bot, own, channel="C1").status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) in (["complete", "in_progress"], ["already_complete", "complete"])
    [parent] = fake.parents("C1")
    assert len(reply_texts(fake, parent.ts)) == 4
    assert len(fake.messages()) == 5


# -- helpers ---------------------------------------------------------------------------------
def test_briefing_filters_parse_names_and_topics() -> None:
    filters = parse_briefing_filters("C0123=US,EU,export-controls; C0456=Britain")
    assert filters["C0123"] == ChannelFilter(
        frozenset({"US", "EU"}), frozenset({"export-controls"})
    )
    assert filters["C0456"] == ChannelFilter(frozenset({"UK"}), frozenset())
    assert filters["C0123"].matches(["EU"], ["export-controls", "regulation"])
    assert not filters["C0123"].matches(["EU"], ["sovereignty"])
    assert parse_briefing_filters("") == {}
    with pytest.raises(ValueError, match="'Atlantis'"):
        parse_briefing_filters("C1=US,Atlantis")


def test_period_is_the_local_date() -> None:
    from zoneinfo import ZoneInfo

    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_for(late, ZoneInfo("Asia/Tokyo")) == "2026-11-27"
    assert period_for(late, UTC) == "2026-11-26"


def test_preview_claims_nothing(bot: Deps, fake: FakeSlack) -> None:
    add_development(bot.sessions, add_source(bot.sessions), 1)
    rendered = preview_briefing(bot, channel="C1")
    assert rendered.parent is not None and len(rendered.replies) == 1
    assert briefings(bot.sessions) == [] and fake.calls == []
