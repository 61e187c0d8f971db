"""Briefing Block Kit builders: pure functions, checked without mocks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from bot.slack.blocks.briefing import (
    BLOCK_KIT_BUILDER,
    BriefingDigest,
    BriefingEntry,
    SourceLink,
    UnreachedSource,
    block_kit_builder_url,
    mrkdwn_as_text,
    parent_message,
    quiet_message,
    reply_message,
    sort_entries,
    thread_as_text,
)
from bot.slack.blocks.text import (
    CONTEXT_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
)

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
HOSTILE = "<!channel> *bold* & <https://evil.example|click> > done"


def entry(n: int = 1, **overrides: Any) -> BriefingEntry:
    values: dict[str, Any] = {
        "development_id": n,
        "title": f"Development {n}",
        "summary": f"Summary of development {n}.",
        "jurisdictions": ("US",),
        "topics": ("export-controls",),
        "importance": "medium",
        "first_seen_at": NOW,
        "published_at": NOW,
        "links": (
            SourceLink(url=f"https://www.federalregister.gov/d/{n}", source="bis", primary=True),
            SourceLink(url=f"https://news.example/{n}", source="news", primary=False),
        ),
    }
    values.update(overrides)
    return BriefingEntry(**values)


def all_texts(message: dict[str, Any]) -> list[str]:
    """Every text Slack would parse: the fallback and each block's texts."""
    texts = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(f["text"] for f in block.get("fields", []))
        texts.extend(e["text"] for e in block.get("elements", []))
    return texts


def assert_within_limits(message: dict[str, Any]) -> None:
    assert message["text"], "every message needs a plain text fallback"
    assert len(message["blocks"]) <= MESSAGE_BLOCK_LIMIT
    for block in message["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_TEXT_LIMIT
        elif "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
        for f in block.get("fields", []):
            assert len(f["text"]) <= 2000
        assert len(block.get("fields", [])) <= 10


def test_parent_has_date_counts_top_three_updates_and_unreached_footer() -> None:
    digest = BriefingDigest(
        day=date(2026, 11, 26),
        new=[
            entry(1, importance="low"),
            entry(2, importance="high", jurisdictions=("EU",), topics=("sovereignty",)),
            entry(3),
            entry(4, jurisdictions=("US", "CN")),
        ],
        updates=[entry(9, update=True)],
        unreached=[UnreachedSource("gov-uk", last_error="HTTP 503")],
    )
    message = parent_message(digest)
    texts = "\n".join(all_texts(message))
    assert "Thursday 26 November 2026" in texts
    assert "4 new developments" in texts and "1 update" in texts
    assert "US 3" in texts and "EU 1" in texts and "CN 1" in texts
    assert "export-controls 3" in texts and "sovereignty 1" in texts
    headlines = next(
        b for b in message["blocks"] if "Top headlines" in b.get("text", {}).get("text", "")
    )
    lines = headlines["text"]["text"].splitlines()[1:]
    assert len(lines) == 3
    assert "Development 2" in lines[0]  # most important first
    assert "Development 1" not in "\n".join(lines)  # the low one is fourth
    assert "Not reached since the last briefing: gov-uk (HTTP 503)" in texts
    assert_within_limits(message)


def test_parent_footer_says_all_sources_reached() -> None:
    message = parent_message(BriefingDigest(day=date(2026, 11, 26), new=[entry()]))
    assert "All sources were reached" in "\n".join(all_texts(message))


def test_reply_links_title_to_primary_and_labels_every_source() -> None:
    message = reply_message(entry(7, importance="high"), tz=UTC)
    texts = "\n".join(all_texts(message))
    assert "<https://www.federalregister.gov/d/7|Development 7>" in texts
    assert "<https://www.federalregister.gov/d/7|bis> (primary)" in texts
    assert "<https://news.example/7|news> (secondary)" in texts
    assert "importance: *high*" in texts
    assert "US" in texts and "export-controls" in texts
    assert "Summary of development 7." in texts
    assert "Published 2026-11-26" in texts and "first seen 2026-11-26 07:00 UTC" in texts
    assert message["text"].startswith("Development 7 (US; high)")
    assert_within_limits(message)


def test_reply_dates_use_the_briefing_time_zone() -> None:
    message = reply_message(entry(), tz=ZoneInfo("Europe/Amsterdam"))
    assert "first seen 2026-11-26 08:00 CET" in "\n".join(all_texts(message))


def test_update_reply_says_update_and_marks_new_sources() -> None:
    links = (
        SourceLink(url="https://a.example/rule", source="bis", primary=True),
        SourceLink(url="https://a.example/final", source="bis", title="Final rule", new=True),
    )
    message = reply_message(entry(3, update=True, links=links), tz=UTC)
    texts = "\n".join(all_texts(message))
    assert texts.startswith("Update: ")
    assert "*Update:*" in texts
    assert "<https://a.example/final|bis: Final rule> (primary · new)" in texts


def test_hostile_feed_text_cannot_mention_channel_or_forge_links() -> None:
    bad = entry(
        1,
        title=HOSTILE,
        summary=HOSTILE,
        links=(SourceLink(url="https://x.example/a>b|c", source=HOSTILE, title=HOSTILE),),
    )
    digest = BriefingDigest(
        day=date(2026, 11, 26), new=[bad], unreached=[UnreachedSource(HOSTILE, HOSTILE)]
    )
    for message in (parent_message(digest), reply_message(bad, tz=UTC), quiet_message(digest)):
        assert "&lt;!channel&gt;" in "\n".join(all_texts(message))
        for text in all_texts(message):
            assert "<!channel>" not in text
            assert "<https://evil" not in text
            # every remaining "<" opens one of our own links
            for chunk in text.split("<")[1:]:
                assert chunk.startswith("https://www.federalregister") or chunk.startswith(
                    "https://x.example/a%3Eb%7Cc|"
                )
    reply = reply_message(bad, tz=UTC)
    assert (
        "&lt;!channel&gt; *bold* &amp; &lt;https://evil.example|click&gt; &gt; done"
        in reply["blocks"][2]["text"]["text"]
    )


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    long_summary = " ".join(["export"] * 1500)  # 10,499 characters
    long_title = "Sovereign AI " * 40
    message = reply_message(entry(title=long_title, summary=long_summary), tz=UTC)
    assert_within_limits(message)
    summary = message["blocks"][2]["text"]["text"]
    assert summary.endswith("export…")
    parent = parent_message(
        BriefingDigest(day=date(2026, 11, 26), new=[entry(title=long_title * 3)])
    )
    assert len(parent["blocks"][0]["text"]["text"]) <= HEADER_TEXT_LIMIT
    assert_within_limits(parent)


def test_many_sources_and_long_urls_stay_within_limits() -> None:
    links = tuple(
        SourceLink(url=f"https://example.org/{'x' * 400}/{i}", source=f"source-{i}", primary=i == 0)
        for i in range(60)
    )
    message = reply_message(entry(links=links), tz=UTC)
    assert_within_limits(message)
    assert "more" in message["blocks"][3]["text"]["text"]
    huge = entry(links=(SourceLink(url="https://e.org/" + "y" * 2500, source="s"),))
    digest = BriefingDigest(day=date(2026, 11, 26), new=[huge, huge, huge])
    assert_within_limits(parent_message(digest))


def test_sixty_developments_parent_stays_within_limits() -> None:
    digest = BriefingDigest(
        day=date(2026, 11, 26),
        new=[entry(i, jurisdictions=(f"J{i}",)) for i in range(60)],
        unreached=[UnreachedSource(f"source-{i}", "timeout " * 30) for i in range(80)],
    )
    assert_within_limits(parent_message(digest))


def test_sort_puts_high_importance_then_newest_first() -> None:
    older = entry(1, importance="high", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    newer = entry(2, importance="high")
    low = entry(3, importance="low")
    assert [e.development_id for e in sort_entries([low, older, newer])] == [2, 1, 3]


def test_quiet_message_is_one_line() -> None:
    message = quiet_message(BriefingDigest(day=date(2026, 11, 26), new=[]))
    assert message["text"] == "AI policy briefing for 2026-11-26: nothing new today."
    assert len(message["blocks"]) == 1


def test_block_kit_builder_url_holds_the_blocks() -> None:
    message = parent_message(BriefingDigest(day=date(2026, 11, 26), new=[entry()]))
    url = block_kit_builder_url(message)
    assert url.startswith(BLOCK_KIT_BUILDER)
    assert json.loads(unquote(url[len(BLOCK_KIT_BUILDER) :])) == {"blocks": message["blocks"]}


def test_thread_as_text_shows_what_slack_shows() -> None:
    bad = entry(1, title="A <!channel> & B")
    parent = parent_message(BriefingDigest(day=date(2026, 11, 26), new=[bad]))
    text = thread_as_text(parent, [reply_message(bad, tz=UTC)])
    assert text.startswith("AI POLICY BRIEFING · THURSDAY 26 NOVEMBER 2026")
    assert "    │ reply 1/1" in text
    assert "    │ *A <!channel> & B (https://www.federalregister.gov/d/1)*" in text
    assert thread_as_text(None, []) == "(quiet day: nothing is posted)"
    assert (
        mrkdwn_as_text("<https://a.example|label> &amp; &lt;x&gt;")
        == "label (https://a.example) & <x>"
    )


def _contexts(message: dict[str, Any]) -> list[str]:
    return [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]


def test_a_reply_shows_the_dates_its_development_sets_under_the_summary() -> None:
    act = entry(1, timeline=("takes effect 2 August 2026", "ends 2 August 2027"))
    rule = entry(2, timeline=("due 17 January 2027",))

    act_reply, rule_reply = reply_message(act, tz=UTC), reply_message(rule, tz=UTC)

    assert "*Dates:* takes effect 2 August 2026 · ends 2 August 2027" in _contexts(act_reply)
    assert "*Dates:* due 17 January 2027" in _contexts(rule_reply)
    kinds = [b["type"] for b in act_reply["blocks"]]
    assert kinds == ["section", "context", "section", "context", "section", "context"]
    assert "takes effect 2 August 2026" in act_reply["text"]  # the notification says it too
    assert not any("Dates:" in t for t in _contexts(reply_message(entry(3), tz=UTC)))


def test_reply_dates_are_escaped_and_kept_inside_the_context_limit() -> None:
    hostile = entry(1, timeline=(HOSTILE, "takes effect 1 March 2027 " + "x " * 3000))
    message = reply_message(hostile, tz=UTC)
    dates = next(t for t in _contexts(message) if t.startswith("*Dates:*"))
    assert "<!channel>" not in dates and "&lt;!channel&gt;" in dates
    assert len(dates) <= CONTEXT_TEXT_LIMIT
    assert "<!channel>" not in message["text"]
