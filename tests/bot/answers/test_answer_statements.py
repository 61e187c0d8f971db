"""An answer reads its candidates in a fixed number of statements, however many there are:
the columns ranking and citing read are loaded with the candidates (`ANSWER_COLUMNS`), so no
candidate costs a query of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.answers.engine import Answer, answer_question
from bot.config import Settings
from store.db import SessionFactory, session_scope
from store.models import Development

NOW = datetime(2025, 11, 12, 9, 0, tzinfo=UTC)


def _add(sessions: SessionFactory, first: int, count: int) -> None:
    with session_scope(sessions) as s:
        for n in range(first, first + count):
            s.add(
                Development(
                    title=f"Beijing tightens gallium export licences (notice {n})",
                    summary="MOFCOM adds gallium and germanium compounds to the licence list.",
                    jurisdictions=["CN"],
                    topics=["export-controls"],
                    importance="high",
                    published_at=NOW - timedelta(days=1 + n % 5),
                    search_text="gallium germanium export licence rules MOFCOM " * 5,
                    evidence={"matched": ["gallium"] * 50},
                )
            )


def _answer(engine: Engine, sessions: SessionFactory, question: str) -> tuple[int, Answer]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(sessions) as s:
            answer = answer_question(
                s,
                question=question,
                now=NOW,
                settings=Settings(_env_file=None),  # type: ignore[call-arg]
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(statements), answer


@pytest.mark.parametrize(
    "question", ["any Chinese gallium export rules?", "gallium export licences this week?"]
)
def test_more_candidates_cost_no_more_statements(
    engine: Engine, sessions: SessionFactory, question: str
) -> None:
    # More than the engine's search needs (it then runs no second, looser search), then more.
    _add(sessions, 0, 25)
    few, answer = _answer(engine, sessions, question)
    assert len(answer.developments) == 3
    _add(sessions, 25, 40)
    many, answer = _answer(engine, sessions, question)
    assert len(answer.developments) == 3
    assert answer.developments[0].summary.startswith("MOFCOM adds gallium")
    assert many == few
