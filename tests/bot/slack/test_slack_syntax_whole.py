"""Whatever the titles, summaries and URLs, every built payload keeps Slack's syntax whole.

Property tests (hypothesis): briefing parent and replies, alerts, the home tab and answers are
built from random outside text; every mrkdwn text and fallback must have each `&…;` entity and
each `<…>` link complete, stay inside Slack's limits, and parse with slack_sdk's models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack.blocks.alerts import (
    AlertDevelopment,
    AlertMessage,
    AlertSubscription,
    build_alert_message,
)
from bot.slack.blocks.answers import ShownDevelopment, answer_message
from bot.slack.blocks.briefing import (
    BriefingDigest,
    BriefingEntry,
    SourceLink,
    parent_message,
    reply_message,
)
from bot.slack.blocks.home import HomeSubscription, build_home_view
from bot.slack.blocks.text import truncate

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
# Slack's syntax characters and entity look-alikes, often, among ordinary words.
TRICKY = st.sampled_from(["&", "<", ">", "|", ";", "&amp", "amp;", "lt;", " ", "*", "\n", "é"])
TEXT = st.lists(st.one_of(TRICKY, st.text(min_size=1, max_size=12)), max_size=400).map("".join)
URL = st.tuples(st.integers(0, 3_500), st.text("a&<>|;%/?=", max_size=20)).map(
    lambda t: "https://policy.example/" + "x" * t[0] + t[1]
)


def mrkdwn_texts(payload: Any, *, top: bool = True) -> Iterator[str]:
    """The fallback `text` and every mrkdwn text object Slack parses."""
    if top and isinstance(payload.get("text"), str):
        yield payload["text"]
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield payload["text"]
        for value in payload.values():
            if isinstance(value, dict | list):
                yield from mrkdwn_texts(value, top=False)
    elif isinstance(payload, list):
        for value in payload:
            yield from mrkdwn_texts(value, top=False)


def assert_whole(payload: dict[str, Any]) -> None:
    for text in mrkdwn_texts(payload):
        assert "&" not in re.sub(r"&(?:amp|lt|gt);", "", text), text[-80:]
        outside_links = re.sub(r"<[^<>]*>", "", text)
        assert "<" not in outside_links and ">" not in outside_links, text[-80:]
        assert len(text) <= 3000
    for block in payload["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def entry(title: str, summary: str, url: str) -> BriefingEntry:
    return BriefingEntry(
        development_id=1,
        title=title,
        summary=summary,
        jurisdictions=("EU",),
        topics=("regulation",),
        importance="high",
        first_seen_at=NOW,
        published_at=NOW,
        links=(
            SourceLink(url=url, source="ec-press", title=title, primary=True),
            SourceLink(url=url + "/2", source="news", title=summary[:200], primary=False),
        ),
    )


def alert_development(title: str, summary: str, url: str) -> AlertDevelopment:
    return AlertDevelopment(
        id=1,
        title=title,
        summary=summary,
        url=url,
        jurisdictions=("EU",),
        topics=("regulation",),
        importance="high",
        published_at=NOW,
        reasons=("EU",),
    )


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(title=TEXT, summary=TEXT, url=URL)
def test_briefing_parent_and_reply_keep_entities_and_links_whole(
    title: str, summary: str, url: str
) -> None:
    shown = entry(title, summary, url)
    assert_whole(reply_message(shown, tz=UTC))  # type: ignore[arg-type]
    digest = BriefingDigest(day=date(2026, 11, 26), new=[shown, shown, shown])
    assert_whole(parent_message(digest))  # type: ignore[arg-type]


@PROPERTY
@given(title=TEXT, summary=TEXT, url=URL)
def test_alerts_and_the_home_tab_keep_entities_and_links_whole(
    title: str, summary: str, url: str
) -> None:
    dev = alert_development(title, summary, url)
    sub = AlertSubscription(id=1, label="EU · instant")
    assert_whole(build_alert_message(AlertMessage(developments=[dev], subscriptions=[sub])))
    home = build_home_view(subscriptions=[HomeSubscription(id=1, label="EU")], latest=[dev])
    assert_whole({"text": "", **home})


@PROPERTY
@given(title=TEXT, summary=TEXT, url=URL, question=TEXT)
def test_answers_keep_entities_and_links_whole(
    title: str, summary: str, url: str, question: str
) -> None:
    dev = ShownDevelopment(id=1, title=title, summary=summary, url=url, published=NOW)
    assert_whole(answer_message(question=question, developments=[dev], searched=question))


def test_truncate_keeps_the_semicolon_of_an_entity_at_the_cut() -> None:
    assert truncate("Industry &amp; government agree on chips", 16) == "Industry &amp;…"
    assert truncate("EU &lt; member states on sovereignty", 9) == "EU &lt;…"


def test_truncate_never_cuts_a_link_and_keeps_its_label() -> None:
    long_link = "<https://policy.example/" + "x" * 3000 + "|The AI Act &amp; you>"
    assert truncate(f"*{long_link}*\nsummary", 3000) == "*The AI Act &amp; you*\nsummary"
    cut = truncate("see <https://a.example/x|the rule> " + "word " * 20, 20)
    assert cut == "see the rule word…"
