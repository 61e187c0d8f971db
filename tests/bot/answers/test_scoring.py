"""The evidence model (bot/answers/scoring.py): every jurisdiction asked is part of the
question, a close match just outside a fuzzy window still answers and says when it was
published, and the words of the asking weigh nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from support.answers_support import add_development, ask, first_id

from bot.answers.engine import Answer
from bot.config import Settings
from store.db import SessionFactory, session_scope

# A Monday: "last week" is 11-17 November by the weekday-free reading, 17-23 by the calendar.
MONDAY = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)


def _store(sessions: SessionFactory) -> dict[str, int]:
    at = lambda m, d: datetime(2025, m, d, 12, 0, tzinfo=UTC)  # noqa: E731
    with session_scope(sessions) as s:
        return {
            "jp_in": add_development(
                s,
                "Japan and India sign a semiconductor supply-chain partnership",
                "Tokyo and New Delhi agreed to co-fund chip packaging plants and share "
                "research on power semiconductors.",
                ["JP", "IN"],
                ["sovereignty"],
                at(3, 4),
            ),
            "jp_only": add_development(
                s,
                "Japan adds chip equipment to its export control list",
                "METI listed 23 kinds of semiconductor manufacturing equipment; exporters "
                "need a licence for most destinations, including India.",
                ["JP"],
                ["export-controls"],
                at(5, 23),
            ),
            "fr_de": add_development(
                s,
                "France and Germany pledge joint sovereign cloud procurement",
                "Paris and Berlin will buy cloud services from European providers for "
                "their ministries.",
                ["FR", "DE"],
                ["sovereignty"],
                at(5, 20),
            ),
            "fr_only": add_development(
                s,
                "France opens a tender for a sovereign cloud",
                "The French state will buy cloud services for its ministries from a "
                "provider under European control.",
                ["FR"],
                ["sovereignty"],
                at(6, 9),
            ),
            "us_uae": add_development(
                s,
                "Emirati data centres win faster US chip licences",
                "The Commerce Department will approve chip exports to vetted data centres "
                "in the UAE within 30 days.",
                ["US"],
                ["export-controls"],
                at(7, 1),
            ),
            "us_cn": add_development(
                s,
                "US tightens chip licences for Chinese buyers",
                "The Commerce Department added licence duties for chip exports to "
                "Chinese data centres.",
                ["US"],
                ["export-controls"],
                at(7, 3),
            ),
            "kr_jp_talks": add_development(
                s,
                "Yoon and Ishiba hold talks on chip supply chains",
                "The Korean and Japanese leaders agreed a semiconductor supply-chain dialogue.",
                ["KR", "JP"],
                ["sovereignty"],
                at(11, 18),  # the Tuesday after the weekday-free "last week"
            ),
            "ca_summit": add_development(
                s,
                "Carney hosts compute summit in Ottawa",
                "Canada will fund public AI computing capacity for universities.",
                ["CA"],
                ["sovereignty"],
                at(11, 19),
            ),
            "us_rule": add_development(
                s,
                "US export controls on chip tools tightened",
                "BIS expanded export controls on semiconductor manufacturing equipment.",
                ["US"],
                ["export-controls"],
                at(11, 20),
            ),
            "untagged_litho": add_development(
                s,
                "Government publishes licence duty for lithography tools",
                "A ministerial regulation requires a licence to export advanced lithography tools.",
                [],
                [],
                at(4, 2),
                deep="The Hague said the measure protects national security.",
            ),
            "untagged_kr": add_development(
                s,
                "Assembly approves framework statute on machine intelligence",
                "The statute sets duties for high-impact systems from next year.",
                [],
                [],
                at(4, 9),
                deep="Seoul's science ministry will write the decrees.",
            ),
            "untagged_pact": add_development(
                s,
                "Tokyo and Seoul sign a chip supply pact",
                "The two governments will share stockpile data on semiconductor materials.",
                [],
                [],
                at(11, 19),  # after the weekday-free "last week"
            ),
            "eu_bans": add_development(
                s,
                "Brussels bans social scoring and emotion recognition at work",
                "Prohibited AI practices: social scoring and emotion recognition in "
                "workplaces are banned from today.",
                ["EU"],
                ["regulation"],
                at(2, 2),
            ),
            "eu_outright": add_development(
                s,
                "EU AI rules: what applies outright and what waits",
                "Some AI uses face transparency duties outright; high-risk AI systems "
                "wait for standards.",
                ["EU"],
                ["regulation"],
                at(8, 1),
            ),
        }


def _ask(
    sessions: SessionFactory, settings: Settings, question: str, now: datetime = MONDAY
) -> Answer:
    return ask(sessions, settings, question, now)


def test_a_development_tagged_with_every_jurisdiction_asked_ranksfirst_id(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    asked = _ask(sessions, settings, "what is Tokyo doing with New Delhi on chips?")
    assert first_id(asked) == ids["jp_in"]
    cloud = _ask(sessions, settings, "what have Paris and Berlin said about cloud?")
    assert first_id(cloud) == ids["fr_de"]


def test_a_jurisdiction_named_in_the_title_covers_part_of_it_without_the_tag(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    answer = _ask(sessions, settings, "what's Washington doing with the Emiratis on chip licences?")
    assert first_id(answer) == ids["us_uae"]
    assert answer.developments[0].note == ""  # tagged US, one of the two asked


def test_a_close_match_just_after_last_week_answers_and_says_when(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    talks = _ask(sessions, settings, "what came out of the Yoon-Ishiba talks last week?")
    assert first_id(talks) == ids["kr_jp_talks"]
    assert talks.developments[0].note == "published 2025-11-18, outside last week"
    assert "close matches 2025-11-11 to 2025-11-23" in talks.searched
    summit = _ask(sessions, settings, "anything from Carney's compute summit last week?")
    assert first_id(summit) == ids["ca_summit"]
    assert "outside last week" in summit.text


def test_a_loose_match_outside_last_week_is_not_an_answer(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    # The calendar week holds a US rule on chip tools: it matches this question closely...
    tools = _ask(sessions, settings, "what changed in export controls on chip tools last week?")
    assert first_id(tools) == ids["us_rule"]
    assert "outside last week" in tools.text
    # ...but not one about AI models, and a question with no words matches nothing closely.
    assert not _ask(sessions, settings, "did export controls on AI models change last week?").found
    assert not _ask(sessions, settings, "what happened last week?").found
    # Two weeks later even the calendar reading is past.
    later = datetime(2025, 12, 8, 9, 0, tzinfo=UTC)
    assert not _ask(
        sessions, settings, "what came of the Yoon-Ishiba talks last week?", later
    ).found


def test_since_a_season_is_a_window_from_its_start(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    asked = datetime(2025, 10, 20, 9, 0, tzinfo=UTC)
    summer = _ask(sessions, settings, "what has Paris done on cloud since the summer?", asked)
    assert [d.id for d in summer.developments] == [ids["fr_only"]]  # 9 June; fr_de 20 May
    spring = _ask(sessions, settings, "anything on Japanese chips since the spring?", asked)
    assert first_id(spring) == ids["jp_in"]
    assert "since spring 2025 (2025-03-01 to 2025-10-20)" in spring.searched


def test_words_of_degree_do_not_decide_the_answer(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    bans = _ask(sessions, settings, "which AI uses did Brussels ban outright?")
    assert first_id(bans) == ids["eu_bans"]
    scoring = _ask(sessions, settings, "is social scoring completely banned in the EU?")
    assert first_id(scoring) == ids["eu_bans"]


def test_a_development_without_tags_is_read_whole_for_who_acted(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    litho = _ask(sessions, settings, "has The Hague required licences for lithography tools?")
    assert first_id(litho) == ids["untagged_litho"]
    assert litho.developments[0].note == "tagged no jurisdiction, not NL"
    korea = _ask(sessions, settings, "what framework statute did Korea approve?")
    assert first_id(korea) == ids["untagged_kr"]
    assert "tagged no jurisdiction, not KR" in korea.text


def test_a_close_match_outside_the_window_is_judged_on_the_words_not_the_tags(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    # Untagged, it covers Japan and Korea only by naming them, yet holds every word asked.
    pact = _ask(sessions, settings, "did Japan and Korea sign a chip supply pact last week?")
    assert first_id(pact) == ids["untagged_pact"]
    assert "outside last week" in pact.developments[0].note
    assert "tagged no jurisdiction, not JP, KR" in pact.developments[0].note


def _dated_store(sessions: SessionFactory) -> dict[str, int]:
    at = lambda y, m, d: datetime(y, m, d, 12, 0, tzinfo=UTC)  # noqa: E731
    with session_scope(sessions) as s:
        return {
            "eu_subsidy_guidance": add_development(
                s,
                "Commission explains the chip subsidy rules",
                "Guidance on the chip subsidy rules adopted on 12 March 2024 for new fabs.",
                ["EU"],
                ["sovereignty"],
                at(2024, 6, 3),
                dates=[("adopted", date(2024, 3, 12))],
            ),
            "jp_guidelines_update": add_development(
                s,
                "Japan updates its AI guidelines for businesses",
                "METI revised the AI guidelines for businesses first published on 19 April 2024.",
                ["JP"],
                ["regulation"],
                at(2024, 9, 10),
                dates=[("published", date(2024, 4, 19))],
            ),
            "ca_summit": add_development(
                s,
                "Ottawa compute summit ends with funding for public AI compute",
                "Canada will fund public AI compute for universities after the summit.",
                ["CA"],
                ["sovereignty"],
                at(2024, 11, 20),
            ),
            "jp_pact": add_development(
                s,
                "Tokyo signs a data centre pact with chipmakers",
                "The data centre pact takes effect on 1 January 2025.",
                ["JP"],
                ["sovereignty"],
                at(2024, 10, 2),
                dates=[("effective", date(2025, 1, 1))],
            ),
        }


def test_a_close_match_outside_a_stated_month_answers_only_with_a_date_in_it(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _dated_store(sessions)
    asked = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
    # The month qualifies what the development names: one of its dates is in it.
    subsidy = _ask(sessions, settings, "what did the March 2024 chip subsidy rules say?", asked)
    assert first_id(subsidy) == ids["eu_subsidy_guidance"]
    guidelines = _ask(
        sessions, settings, "what were Japan's AI guidelines for businesses in April 2024?", asked
    )
    assert first_id(guidelines) == ids["jp_guidelines_update"]
    # Every word matches, but nothing in them happened in the month asked about: another event.
    assert not _ask(
        sessions, settings, "what came out of the Ottawa compute summit in May 2024?", asked
    ).found
    assert not _ask(
        sessions, settings, "what did Tokyo's data centre pact say in June 2024?", asked
    ).found
