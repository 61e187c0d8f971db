"""`policybot explain ID [--json]`: why a development carries its tags and its items.

The explanation is built from the evidence stored at ingest (bot/analysis/explain.py); the
same data is the `evidence` of `policybot export --json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlmodel import Session, col, select

from bot.analysis.explain import explain_development, render_explanation
from bot.cli import common as cli_common
from bot.deps import open_store
from store.models import Development, Item, Source

_CHUNK = 500


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def development_items(
    session: Session, development_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each development's items as plain data (oldest first), for explanations and export."""
    names = {s.id: s.name for s in session.exec(select(Source)).all()}
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in development_ids}
    for start in range(0, len(development_ids), _CHUNK):
        chunk = list(development_ids[start : start + _CHUNK])
        rows = session.exec(
            select(Item)
            .where(col(Item.development_id).in_(chunk))
            .order_by(col(Item.published_at), col(Item.id))
        ).all()
        for item in rows:
            assert item.development_id is not None
            out[item.development_id].append(
                {
                    "id": item.id,
                    "title": item.title,
                    "url": item.url,
                    "source": names.get(item.source_id, ""),
                    "published": iso(item.published_at),
                    "jurisdictions": list(item.jurisdictions),
                    "topics": list(item.topics),
                    "evidence": item.evidence or {},
                }
            )
    return out


def explanation_of(development: Development, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return explain_development(
        {
            "id": development.id,
            "title": development.title,
            "jurisdictions": list(development.jurisdictions),
            "topics": list(development.topics),
            "importance": development.importance,
            "evidence": development.evidence or {},
        },
        items,
    )


def explain(
    development_id: Annotated[int, typer.Argument(help="The development's id (see `export`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Why a development carries its jurisdictions, topics and importance, and why each item
    joined it."""
    settings = cli_common.settings_or_exit()
    deps = open_store(settings)
    try:
        with deps.sessions() as session:
            development = session.get(Development, development_id)
            if development is None:
                typer.echo(f"error: no development {development_id}", err=True)
                raise typer.Exit(2)
            items = development_items(session, [development_id])[development_id]
            explanation = explanation_of(development, items)
    finally:
        if deps.engine is not None:
            deps.engine.dispose()
    if as_json:
        typer.echo(json.dumps(explanation, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_explanation(explanation), nl=False)
