"""Questions people ask about a news story, worded their way: the US lifting export curbs on
Anthropic's models for allies, and the UK's sovereignty reaction (fixtures written here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session
from support.answers_support import add_development, ask

from bot.config import Settings
from store.db import SessionFactory, session_scope

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _dev(
    session: Session, title: str, text: str, jurisdictions: list[str], topics: list[str], day: int
) -> int:
    published = datetime(2026, 11, day, 12, 0, tzinfo=UTC)
    return add_development(session, title, text, jurisdictions, topics, published)


def _store(sessions: SessionFactory) -> dict[str, int]:
    with session_scope(sessions) as s:
        return {
            "lift": _dev(
                s,
                "Commerce eases export controls on Anthropic's frontier models for allied countries",
                "BIS removed the licence requirement for exports of Anthropic's Claude model "
                "weights to close partners, including the UK, Japan and the EU.",
                ["US"],
                ["export-controls"],
                12,
            ),
            "uk": _dev(
                s,
                "UK ministers respond to US AI export decision with sovereign compute push",
                "The Technology Secretary said Britain must not depend on American models and "
                "announced funding for a national AI compute programme.",
                ["UK"],
                ["sovereignty"],
                14,
            ),
            "chips": _dev(
                s,
                "US tightens licences for AI chips bound for China",
                "BIS added licence duties for advanced accelerators shipped to Chinese buyers.",
                ["US"],
                ["export-controls"],
                5,
            ),
            "eu": _dev(
                s,
                "EU AI Office publishes code of practice for general-purpose AI models",
                "Brussels asked model providers to sign the code by December.",
                ["EU"],
                ["regulation"],
                10,
            ),
        }


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("did the US lift export curbs on Anthropic's models for allies?", "lift"),
        ("can allies get Anthropic's models again?", "lift"),
        ("what did Washington do about exporting Claude?", "lift"),
        ("has BIS relaxed controls on AI model weights this month?", "lift"),
        ("did Washington lift the curbs on Claude for its allies?", "lift"),
        ("how did the UK react on sovereignty?", "uk"),
        ("what was Whitehall's response to the US export decision?", "uk"),
        ("what's London saying about AI sovereignty after the US decision?", "uk"),
        ("is Britain funding its own compute because of the US move?", "uk"),
    ],
)
def test_the_story_is_found_however_it_is_asked(
    sessions: SessionFactory, settings: Settings, question: str, expected: str
) -> None:
    ids = _store(sessions)
    answer = ask(sessions, settings, question, NOW)
    assert ids[expected] in [d.id for d in answer.developments][:3], answer.text


@pytest.mark.parametrize(
    "question",
    [
        "did the US lift export curbs on OpenAI's models?",
        "how did Canada react on sovereignty?",
        "has Japan lifted its chip controls on China?",
    ],
)
def test_what_the_story_does_not_cover_is_not_answered(
    sessions: SessionFactory, settings: Settings, question: str
) -> None:
    _store(sessions)
    answer = ask(sessions, settings, question, NOW)
    assert not answer.found, answer.text
