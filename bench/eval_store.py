"""The labelled set's store: every item ingested through the real pipeline, as a poll would.

Shared by `bench/eval.py` (tags and clusters) and `bench/eval_qa.py` (answers), so both
evaluations read one store built one way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.analysis.taxonomy import load_taxonomy
from bot.config import Settings
from bot.developments.ingest import ingest_entries
from bot.developments.ingest_cache import IngestCache
from bot.sources.entries import RawEntry
from store.db import make_engine, migrate, session_factory
from store.models import Item, Source

PRIMARY_KINDS = {"federal_register", "gov_press_release", "parliament"}
# What a source's configuration would say about the kind of document it publishes.
DOC_TYPES = {"opinion": "opinion"}


def load_items(path: Path) -> list[dict[str, Any]]:
    with (path / "items.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def published_at(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["published"]).replace(tzinfo=UTC) + timedelta(hours=12)


def run_pipeline(items: list[dict[str, Any]], database_url: str) -> tuple[Any, dict[str, Item]]:
    """Ingest every item; return the engine and the stored item per eval id."""
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    with sessions() as session:
        sources: dict[str, Source] = {}
        for item in items:
            name = item["source_name"]
            if name not in sources:
                primary = item["source_kind"] in PRIMARY_KINDS
                source = Source(
                    name=name[:100],
                    jurisdictions=source_jurisdictions(name) if primary else [],
                    kind="feed",
                    url=f"https://example.org/{len(sources)}",
                    primary=primary,
                )
                session.add(source)
                session.flush()
                sources[name] = source
        cache = IngestCache()  # carried from call to call, as a poll does
        for item in sorted(items, key=lambda i: i["id"]):
            published = published_at(item)
            entry = RawEntry(
                guid=item["id"],
                url=item["url"],
                title=item["title"],
                text=item["text"],
                published=published,
                doc_type=DOC_TYPES.get(item["source_kind"]),
            )
            ingest_entries(
                session,
                source=sources[item["source_name"]],
                entries=[entry],
                now=published,
                settings=settings,
                cache=cache,
            )
        session.commit()
        stored = {i.guid: i for i in session.exec(select(Item))}
    return engine, stored


def source_jurisdictions(name: str) -> list[str]:
    """What an operator would configure as a government source's `jurisdictions`: the country
    its name states (GOV.UK, The White House, Government of the Netherlands...); only a name
    that states none is read for an institution of one government (Federal Register
    (Commerce / BIS), Tweede Kamer). A title or ministry several governments have ("Ministry
    of Economic Affairs") says nothing. News, law-firm and opinion sources get none: they
    write about every country."""
    labels: dict[tuple[int, int], set[str]] = {}
    kinds: dict[tuple[int, int], str] = {}
    for match in load_taxonomy().find(name, "jurisdiction"):
        if match.term.group == "jurisdiction" and match.term.label != "INTL":
            labels.setdefault((match.start, match.end), set()).add(match.term.label)
            kinds[(match.start, match.end)] = match.term.kind
    own = {span: codes.pop() for span, codes in labels.items() if len(codes) == 1}
    named = {c for span, c in own.items() if kinds[span] in ("names", "demonyms", "places")}
    return sorted(named or set(own.values()))
