"""`policybot ask QUESTION [--json] [--as-of DATETIME]`: the answer engine on the command line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.answers.engine import answer_question
from bot.answers.guard import question_problem
from bot.cli import common as cli_common
from bot.deps import open_store
from store.db import session_scope


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)


def parse_as_of(value: str, tz: ZoneInfo) -> datetime:
    """An ISO date or date-time; without a zone it is local time in POLICYBOT_TIMEZONE."""
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time(12, 0))
        except ValueError:
            raise ValueError(f"not an ISO date or date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer and developments as JSON.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Answer as if now were this ISO date or date-time."),
    ] = None,
) -> None:
    """Answer a question from the developments in the store, with citations."""
    settings = cli_common.settings_or_exit()
    now = datetime.now(UTC)
    if as_of is not None:
        try:
            now = parse_as_of(as_of, settings.tz)
        except ValueError as exc:
            typer.echo(f"error: --as-of: {exc}", err=True)
            raise typer.Exit(2) from None
    problem = question_problem(question)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    deps = open_store(settings)
    try:
        with session_scope(deps.sessions) as session:
            answer = answer_question(session, question=question, now=now, settings=settings)
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    if as_json:
        typer.echo(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(answer.text)
