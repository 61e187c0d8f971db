"""Daily briefings end to end: the store, the real slack_sdk client and the fake Slack server."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select
from support.briefing_support import (
    HOSTILE,
    NOW,
    Clock,
    Crash,
    CrashingPoster,
    FakeTime,
    add_development,
    add_source,
    briefings,
    bump_with_new_item,
    posts,
    reply_texts,
    with_settings,
)
from support.fakeslack import FakeSlack
from support.timeline_support import add_timeline

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
from bot.slack.client import SlackPoster, make_web_client
from store.db import session_scope
from store.models import Source


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


def test_each_reply_says_when_its_development_takes_effect_and_what_is_due(
    bot: Deps, poster: SlackPoster, fake: FakeSlack
) -> None:
    source = add_source(bot.sessions)
    act = add_development(bot.sessions, source, 1, title="GPAI obligations", importance="high")
    rule = add_development(bot.sessions, source, 2, title="BIS chip rule")
    add_development(bot.sessions, source, 3, title="Speech on AI safety", importance="low")
    add_timeline(
        bot.sessions, act, ("effective", date(2026, 8, 2)), ("published", date(2024, 7, 12))
    )
    add_timeline(
        bot.sessions, rule, ("deadline", date(2027, 1, 17)), ("effective", date(2026, 12, 1))
    )

    outcome = run_briefing(bot, poster, channel="C1")

    assert outcome.replies_posted == 3
    shown = [
        json.dumps(m.blocks, ensure_ascii=False) for m in fake.replies(outcome.parent_ts or "")
    ]
    assert "*Dates:* takes effect 2 August 2026" in shown[0]
    assert "published 12 July 2024" not in shown[0]  # publication is on the dates line already
    assert "*Dates:* takes effect 1 December 2026 · due 17 January 2027" in shown[1]
    assert "Dates:" not in shown[2]  # a development that sets no date says nothing of dates
    assert "takes effect 2 August 2026" in reply_texts(fake, outcome.parent_ts or "")[0]


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
