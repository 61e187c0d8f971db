"""The answer engine quotes tracked developments, or says plainly that nothing matches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.answers.engine import answer_question
from bot.cli.main import app
from bot.config import Settings
from store.db import SessionFactory, session_scope
from store.models import Development, Item, Source

NOW = datetime(2025, 11, 12, 9, 0, tzinfo=UTC)


def _source(session: Session, name: str, *, primary: bool) -> Source:
    src = Source(name=name, kind="feed", url=f"https://example.org/{name}", primary=primary)
    session.add(src)
    session.flush()
    return src


def _dev(
    session: Session,
    title: str,
    text: str,
    *,
    jurisdictions: list[str],
    topics: list[str],
    published: datetime,
    urls: list[tuple[Source, str]] = (),  # type: ignore[assignment]
    importance: str = "high",
    relevant: bool = True,
) -> int:
    dev = Development(
        title=title,
        summary=text[:200],
        jurisdictions=jurisdictions,
        topics=topics,
        importance=importance,
        published_at=published,
        relevant=relevant,
        search_text=f"{title} {text}",
    )
    session.add(dev)
    session.flush()
    for n, (src, url) in enumerate(urls):
        session.add(
            Item(
                source_id=src.id or 0,
                development_id=dev.id,
                guid=f"{dev.id}-{n}",
                url=url,
                title=title,
                text=text,
                published_at=published,
                content_hash=f"{dev.id}-{n}",
            )
        )
    assert dev.id is not None
    return dev.id


def _store(sessions: SessionFactory) -> dict[str, int]:
    with session_scope(sessions) as s:
        news = _source(s, "news", primary=False)
        gov = _source(s, "gov", primary=True)
        ids = {
            "nl": _dev(
                s,
                "The Hague sets licence duty on advanced lithography tools",
                "The Dutch government requires an export licence for advanced chip-making "
                "lithography equipment; the rules apply from September.",
                jurisdictions=["NL"],
                topics=["export-controls"],
                published=datetime(2023, 6, 30, tzinfo=UTC),
                urls=[(news, "https://news.example/nl"), (gov, "https://gov.nl/order")],
            ),
            "us_week": _dev(
                s,
                "BIS suspends the affiliates rule for one year",
                "The Bureau of Industry and Security suspended export controls on affiliates "
                "of listed entities.",
                jurisdictions=["US"],
                topics=["export-controls"],
                published=datetime(2025, 11, 10, tzinfo=UTC),
            ),
            "eu_act": _dev(
                s,
                "EU AI Act published in the Official Journal",
                "The artificial intelligence act entered the Official Journal of the EU.",
                jurisdictions=["EU"],
                topics=["regulation"],
                published=datetime(2024, 7, 12, tzinfo=UTC),
            ),
            "chips": _dev(
                s,
                "Potato chips prices rise",
                "Snack makers raise potato chips prices.",
                jurisdictions=[],
                topics=[],
                published=datetime(2025, 11, 11, tzinfo=UTC),
                relevant=False,
                importance="low",
            ),
        }
    return ids


def _ask(sessions: SessionFactory, settings: Settings, question: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with session_scope(sessions) as s:
        return answer_question(s, question=question, now=now, settings=settings)


def test_answer_cites_the_matching_development_with_its_primary_link_first(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    answer = _ask(sessions, settings, "any new Dutch chip export rules?")
    assert answer.found
    best = answer.developments[0]
    assert best.id == ids["nl"]
    assert best.url == "https://gov.nl/order"
    assert best.sources == ["https://gov.nl/order", "https://news.example/nl"]
    assert best.jurisdictions == ["NL"]
    assert "2023-06-30" in answer.text
    assert "Searched 4 tracked developments" in answer.text
    assert "jurisdictions: NL" in answer.searched


def test_synonyms_find_a_development_that_uses_another_word(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    answer = _ask(
        sessions, settings, "when was the EU artificial intelligence regulation published?"
    )
    assert [d.id for d in answer.developments][:1] == [ids["eu_act"]]


def test_a_country_nothing_mentions_gets_nothing_tracked_matches(
    sessions: SessionFactory, settings: Settings
) -> None:
    _store(sessions)
    answer = _ask(sessions, settings, "what's in Brazil's AI act?")
    assert not answer.found
    assert answer.text.startswith("Nothing tracked matches")
    assert answer.suggestions
    assert answer.as_json()["developments"] == []


def test_a_jurisdiction_asked_about_must_be_the_developments_own(
    sessions: SessionFactory, settings: Settings
) -> None:
    _store(sessions)
    # The EU act matches the words, but Japan's act is a different law.
    answer = _ask(sessions, settings, "what does Japan's AI act say?")
    assert not answer.found


def test_a_relative_time_window_filters_by_publication_date(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    answer = _ask(sessions, settings, "anything new on export controls this week?")
    assert [d.id for d in answer.developments] == [ids["us_week"]]
    later = _ask(
        sessions, settings, "anything new on export controls this week?", NOW + timedelta(days=30)
    )
    assert not later.found


@pytest.mark.parametrize("days_later", range(7))
@pytest.mark.parametrize(
    "question",
    [
        "what changed in US export controls this week?",
        "what's new on export controls this week?",
        "any export control changes this week",
    ],
)
def test_this_week_finds_what_was_published_in_the_last_7_days_on_any_weekday(
    sessions: SessionFactory, settings: Settings, question: str, days_later: int
) -> None:
    ids = _store(sessions)  # the affiliates rule: published Monday 10 November 2025
    asked = datetime(2025, 11, 10, 0, 30, tzinfo=UTC) + timedelta(days=days_later)
    answer = _ask(sessions, settings, question, asked)
    assert [d.id for d in answer.developments] == [ids["us_week"]], answer.text


def test_this_week_no_longer_finds_it_a_week_later(
    sessions: SessionFactory, settings: Settings
) -> None:
    _store(sessions)
    asked = datetime(2025, 11, 17, 0, 30, tzinfo=UTC)  # the next Monday
    assert not _ask(
        sessions, settings, "what changed in US export controls this week?", asked
    ).found
    last_week = _ask(sessions, settings, "what changed in US export controls last week?", asked)
    assert last_week.found


def test_irrelevant_developments_do_not_answer_policy_questions(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    answer = _ask(sessions, settings, "any news on chips export controls?")
    assert ids["chips"] not in [d.id for d in answer.developments[:1]]


def test_an_empty_store_says_nothing_has_been_collected(
    sessions: SessionFactory, settings: Settings
) -> None:
    answer = _ask(sessions, settings, "any new Dutch chip export rules?")
    assert not answer.found
    assert "poll" in answer.suggestions[0]


def test_at_most_three_developments_are_quoted(
    sessions: SessionFactory, settings: Settings
) -> None:
    with session_scope(sessions) as s:
        for n in range(6):
            _dev(
                s,
                f"Gallium export rule {n}",
                "gallium export licence",
                jurisdictions=["CN"],
                topics=["export-controls"],
                published=datetime(2025, 1, 1 + n, tzinfo=UTC),
            )
    answer = _ask(sessions, settings, "gallium export rules")
    assert 1 <= len(answer.developments) <= 3


def test_policybot_ask_json_follows_the_contract(
    sessions: SessionFactory, settings: Settings, database_url: str
) -> None:
    ids = _store(sessions)
    result = CliRunner().invoke(
        app,
        ["ask", "anything new on export controls this week?", "--json", "--as-of", "2025-11-12"],
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"answer", "developments"}
    assert data["developments"][0]["id"] == ids["us_week"]
    assert set(data["developments"][0]) == {
        "id",
        "title",
        "url",
        "jurisdictions",
        "topics",
        "published",
        "summary",
        "sources",
    }


def test_policybot_ask_refuses_a_bad_as_of(database_url: str) -> None:
    result = CliRunner().invoke(
        app, ["ask", "anything?", "--as-of", "next tuesday"], env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 2


def _llm_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "llm_provider": "openai",
            "llm_model": "test-model",
            "llm_base_url": "http://llm.test/v1",
        }
    )


def _llm(reply: str, seen: list[dict[str, object]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "choices": [{"message": {"content": reply}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5},
            },
        )

    return httpx.MockTransport(handler)


def test_an_llm_may_phrase_the_answer_from_the_cited_developments_only(
    sessions: SessionFactory, settings: Settings
) -> None:
    _store(sessions)
    seen: list[dict[str, object]] = []
    with session_scope(sessions) as s:
        answer = answer_question(
            s,
            question="any new Dutch chip export rules?",
            now=NOW,
            settings=_llm_settings(settings),
            llm_transport=_llm("The Hague requires a licence for lithography tools [1].", seen),
        )
    assert answer.phrased == "The Hague requires a licence for lithography tools [1]."
    assert answer.text.startswith(answer.phrased)
    # The prompt holds the retrieved development, and only retrieved ones.
    prompt = str(seen[0]["messages"])
    assert "lithography" in prompt and "Potato" not in prompt


def test_an_llm_reply_citing_nothing_retrieved_falls_back_to_extractive(
    sessions: SessionFactory, settings: Settings
) -> None:
    _store(sessions)
    for reply in ("Invented claim without citation.", "Something [7]."):
        with session_scope(sessions) as s:
            answer = answer_question(
                s,
                question="any new Dutch chip export rules?",
                now=NOW,
                settings=_llm_settings(settings),
                llm_transport=_llm(reply, []),
            )
        assert answer.phrased is None
        assert answer.found and answer.text.startswith("1. ")


def test_no_llm_call_when_nothing_matches(sessions: SessionFactory, settings: Settings) -> None:
    _store(sessions)
    seen: list[dict[str, object]] = []
    with session_scope(sessions) as s:
        answer = answer_question(
            s,
            question="what's in Brazil's AI act?",
            now=NOW,
            settings=_llm_settings(settings),
            llm_transport=_llm("Brazil did things [1].", seen),
        )
    assert not answer.found and seen == []


def test_no_question_text_makes_the_engine_raise(
    sessions: SessionFactory, settings: Settings
) -> None:
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    _store(sessions)

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(max_size=200))
    def ask_anything(text: str) -> None:
        answer = _ask(sessions, settings, text)
        assert answer.text

    ask_anything()


def test_a_named_code_is_found_on_every_backend(
    sessions: SessionFactory, settings: Settings
) -> None:
    # PostgreSQL reads "Kestrel-12" as "kestrel" and the number "-12": the code must be
    # searched whole there, or it would never match.
    with session_scope(sessions) as s:
        dev_id = _dev(
            s,
            "BIS names Project Kestrel-12 in an entity list rule",
            "The rule adds Project Kestrel-12 to the entity list.",
            jurisdictions=["US"],
            topics=["export-controls"],
            published=datetime(2025, 1, 1, tzinfo=UTC),
        )
        _dev(
            s,
            "BIS names Project Heron-7 in a rule",
            "Project Heron-7 is added.",
            jurisdictions=["US"],
            topics=["export-controls"],
            published=datetime(2025, 1, 2, tzinfo=UTC),
        )
    answer = _ask(sessions, settings, "what is Project Kestrel-12?")
    assert [d.id for d in answer.developments][:1] == [dev_id]
