"""Block Kit builders for /policy replies: pure data in, escaped Slack payloads out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack.blocks.answers import (
    SHARE_ACTION_ID,
    ShownDevelopment,
    answer_message,
    development_list_message,
    share_button,
)
from bot.slack.blocks.commands import (
    SourceRow,
    help_message,
    sources_message,
    status_message,
    too_long_message,
    unknown_command_message,
)

DEV = ShownDevelopment(
    id=1,
    title="Rule <!channel> & co",
    summary="Summary with <https://evil.example|click> link",
    url="https://gov.example/rule?a=1&b=2",
    jurisdictions=("US",),
    published=datetime(2025, 1, 15, tzinfo=UTC),
    importance="high",
)


def _blob(payload: dict) -> str:  # type: ignore[type-arg]
    return str(payload)


def test_answer_quotes_each_development_with_date_jurisdiction_and_link() -> None:
    msg = answer_message(
        question="what changed?", developments=[DEV], searched="terms: rule", command_text="ask x"
    )
    assert msg["response_type"] == "ephemeral"
    section = msg["blocks"][1]["text"]["text"]
    assert "2025-01-15" in section and "US" in section and "high" in section
    assert "<https://gov.example/rule?a=1&amp;b=2|Rule &lt;!channel&gt; &amp; co>" in section
    assert msg["blocks"][-2]["elements"][0]["text"] == "Searched: terms: rule"
    assert msg["text"]


def test_outside_text_is_escaped_everywhere() -> None:
    msg = answer_message(
        question="<!here> what?", developments=[DEV], searched="<x>", command_text="ask x"
    )
    blob = _blob(msg)
    assert "<!channel>" not in blob and "<!here>" not in blob
    assert "<https://evil.example|click>" not in blob
    assert "&lt;!here&gt;" in blob


def test_nothing_found_says_so_with_suggestions_and_no_developments() -> None:
    msg = answer_message(
        question="Brazil?", developments=[], searched="terms: brazil", suggestions=["Try X."]
    )
    assert msg["text"].startswith("Nothing tracked matches")
    assert "• Try X." in msg["blocks"][0]["text"]["text"]


def test_ephemeral_replies_carry_a_share_button_with_the_command() -> None:
    msg = answer_message(question="q", developments=[DEV], searched="s", command_text="ask q")
    actions = msg["blocks"][-1]
    assert actions["type"] == "actions"
    assert actions["elements"][0]["action_id"] == SHARE_ACTION_ID
    assert actions["elements"][0]["value"] == "ask q"
    shared = answer_message(
        question="q",
        developments=[DEV],
        searched="s",
        command_text="ask q",
        response_type="in_channel",
    )
    assert all(b["type"] != "actions" for b in shared["blocks"])


def test_share_button_value_stays_within_slacks_limit() -> None:
    assert len(share_button("x" * 5000)["elements"][0]["value"]) == 2000


def test_development_list_caps_at_ten_and_handles_empty() -> None:
    many = [DEV] * 25
    msg = development_list_message(heading="Latest", developments=many, empty_text="none")
    assert sum(1 for b in msg["blocks"] if b["type"] == "section") == 11
    empty = development_list_message(heading="Latest", developments=[], empty_text="none yet")
    assert empty["text"] == "none yet"


def test_help_lists_the_grammar_with_examples() -> None:
    msg = help_message()
    blob = _blob(msg)
    for word in ("ask", "latest", "search", "subscribe", "unsubscribe", "sources", "status"):
        assert f"/policy {word}" in blob
    assert "Examples" in blob


def test_help_says_what_this_week_and_this_month_mean() -> None:
    blob = _blob(help_message())
    assert '"This week" is the last 7 days whatever the weekday' in blob
    assert '"last week" the 7 days before' in blob
    assert "cover at least the last 7 days" in blob


def test_unknown_command_names_the_nearest_and_escapes_the_word() -> None:
    msg = unknown_command_message("<serch>", "search")
    blob = _blob(msg)
    assert "Did you mean `/policy search`" in blob
    assert "&lt;serch&gt;" in blob


def test_too_long_is_polite() -> None:
    assert "at most 1,000" in too_long_message(1500, 1000)["text"]


def _row(**kw: object) -> SourceRow:
    base: dict[str, object] = {
        "name": "bis",
        "kind": "feed",
        "url": "https://x",
        "enabled": True,
        "origin": "file",
        "last_success_at": None,
        "last_status": None,
        "consecutive_failures": 0,
        "last_error": None,
    }
    base.update(kw)
    return SourceRow(**base)  # type: ignore[arg-type]


def test_sources_show_health() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    msg = sources_message(
        [
            _row(name="ok-one", last_success_at=now - timedelta(minutes=5), last_status="ok"),
            _row(
                name="bad",
                consecutive_failures=3,
                last_error="HTTP 503 <oops>",
                last_status="error",
            ),
            _row(name="new"),
        ],
        now=now,
    )
    blob = _blob(msg)
    assert "ok, 5 min ago" in blob
    assert "failing (3×: HTTP 503 &lt;oops&gt;)" in blob
    assert "not polled yet" in blob


def test_status_shows_counts_last_poll_and_next_briefing() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    msg = status_message(
        [_row(last_success_at=now - timedelta(hours=2)), _row(name="b", consecutive_failures=1)],
        now=now,
        next_briefing=datetime(2025, 1, 2, 8, tzinfo=UTC),
        briefing_channels=2,
        developments=42,
    )
    blob = _blob(msg)
    assert "42" in blob and "2 watched, 1 failing" in blob
    assert "2 h ago" in blob
    assert "2025-01-02 08:00 UTC to 2 channels" in blob


def test_sources_and_status_say_what_a_source_left_out() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    skipping = _row(
        name="mixed",
        last_success_at=now - timedelta(minutes=5),
        last_status="ok",
        last_skipped=2,
        last_skipped_reason="2 entries skipped (bad link: not a URL: '<x>' ×2)",
    )
    assert "ok, 5 min ago; 2 entries skipped (bad link: not a URL: '&lt;x&gt;' ×2)" in _blob(
        sources_message([skipping], now=now)
    )
    blob = _blob(
        status_message(
            [skipping, _row(name="b", last_success_at=now)],
            now=now,
            next_briefing=None,
            briefing_channels=0,
            developments=1,
        )
    )
    assert "0 failing" in blob and "Entries left out" in blob and "`mixed`" in blob
    assert "`b`" not in blob


def test_an_llm_phrasing_goes_first_and_is_escaped() -> None:
    msg = answer_message(
        question="q", developments=[DEV], searched="s", phrased="<!channel> it is so [1]"
    )
    assert msg["blocks"][1]["text"]["text"] == "&lt;!channel&gt; it is so [1]"
