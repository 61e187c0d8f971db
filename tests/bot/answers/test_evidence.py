"""The evidence rules (bot/answers/evidence.py): a country asked about must be the subject
of the answer, not one of a list deep in it; a topic asked about must be the answer's, by
its tag or by the words that named it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session
from support.answers_support import add_development, ask

from bot.answers.engine import Answer
from bot.config import Settings
from store.db import SessionFactory, session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _dev(
    session: Session, title: str, text: str, jurisdictions: list[str], topics: list[str]
) -> int:
    published = datetime(2025, 6, 1, tzinfo=UTC)
    return add_development(
        session, title, text, jurisdictions, topics, published, summary_chars=200
    )


def _store(sessions: SessionFactory) -> dict[str, int]:
    padding = " The text goes on about procedure and timetables." * 6
    with session_scope(sessions) as s:
        return {
            "oecd": _dev(
                s,
                "OECD ministers adopt updated AI principles",
                "Ministers of the member countries adopted revised principles on trustworthy "
                "AI." + padding + " Adherents include Argentina, Peru and Egypt.",
                ["INTL"],
                ["regulation"],
            ),
            "peru": _dev(
                s,
                "Peru's congress passes an AI law with risk tiers",
                "Lima's lawmakers approved a law classifying AI systems by risk.",
                [],
                ["regulation"],
            ),
            "jp_act": _dev(
                s,
                "Japan's AI act bans nothing and fines nobody",
                "The promotion law relies on guidance; it sets no ban and no penalty.",
                ["JP"],
                ["regulation"],
            ),
            "kr_tools": _dev(
                s,
                "Korea licenses exports of chip etching tools",
                "Seoul now requires a licence for exports of advanced etching equipment.",
                ["KR"],
                ["sovereignty"],  # mis-tagged: the words still say export controls
            ),
            "in_dc": _dev(
                s,
                "India passes a law on data centres for AI",
                "Parliament passed a law granting tax holidays to data centres that host "
                "AI workloads.",
                ["IN"],
                ["sovereignty"],
            ),
            "in_gpus": _dev(
                s,
                "India funds 18,000 GPUs for its AI mission",
                "New Delhi will subsidise compute for startups building foundation models.",
                ["IN"],
                ["sovereignty"],
            ),
        }


def _ask(sessions: SessionFactory, settings: Settings, question: str) -> Answer:
    return ask(sessions, settings, question, NOW)


def test_a_country_must_be_named_where_the_subject_is(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    # Argentina and Egypt are only in a list at the end of the OECD item.
    assert not _ask(sessions, settings, "did Argentina pass an AI law?").found
    assert not _ask(sessions, settings, "what are Egypt's AI principles?").found
    peru = _ask(sessions, settings, "did Peru pass an AI law?")
    assert [d.id for d in peru.developments][:1] == [ids["peru"]]


def test_a_topic_asked_about_must_be_the_answers_by_tag_or_by_its_words(
    sessions: SessionFactory, settings: Settings
) -> None:
    ids = _store(sessions)
    # Japan's act mentions a ban, but nothing about exports.
    assert not _ask(sessions, settings, "did Japan ban exports of AI chips?").found
    # India's GPUs share "AI" and "chips", not the controls asked about.
    assert not _ask(sessions, settings, "did New Delhi put export controls on GPUs?").found
    # "Data" alone does not name data protection: a law on data centres is no answer.
    assert not _ask(sessions, settings, "did India pass a data protection law?").found
    # Mis-tagged, but its words are on the topic ("export" alone names export controls):
    # tags rank, they do not exclude.
    tools = _ask(sessions, settings, "has Seoul put export controls on chip tools?")
    assert [d.id for d in tools.developments][:1] == [ids["kr_tools"]]
