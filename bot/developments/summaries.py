"""LLM summaries, written after the poll's transaction: never a network call inside one.

Ingest always stores the extractive summary. With an LLM configured, `rewrite_summaries` then
asks it for each development ingest listed (`IngestResult.summaries_to_rewrite`), reading the
items in one short transaction and writing the answer in another, and only if the development
is as it was read (same revision and summary): a poll that changed it meanwhile made a newer
extractive summary, which stays until that poll's own rewrite.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from bot.analysis.summarise import summarise_items
from bot.config import Settings
from bot.llm import TokenBudget, summarise_development
from store.db import SessionFactory
from store.models import Development, Item, Source

log = logging.getLogger(__name__)

PROMPT_ITEMS = 4  # what `summary_prompt` reads of a development


def _lead_items(development_id: int, sessions: SessionFactory) -> list[tuple[str, str]]:
    """The development's first items as its refresh orders them: primary first, then by date."""
    with sessions() as session:
        rows = session.exec(
            select(Item.title, Item.text)
            .join(Source, col(Source.id) == col(Item.source_id))
            .where(col(Item.development_id) == development_id)
            .order_by(
                col(Source.primary).desc(),
                func.coalesce(col(Item.published_at), col(Item.first_seen_at)),
                col(Item.id),
            )
            .limit(PROMPT_ITEMS)
        ).all()
    return [(title, text) for title, text in rows]


def rewrite_summaries(
    sessions: SessionFactory,
    development_ids: Sequence[int],
    *,
    settings: Settings,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Replace extractive summaries with the LLM's; how many were replaced."""
    if not settings.llm_enabled:
        return 0
    budget = TokenBudget(sessions)
    replaced = 0
    for development_id in development_ids:
        with sessions() as session:
            development = session.get(Development, development_id)
            if development is None:
                continue
            seen = (development.revision, development.summary)
        items = _lead_items(development_id, sessions)
        if not items:
            continue
        summary = summarise_development(
            items, settings=settings, budget=budget, now=now, transport=transport
        )
        if summary == summarise_items(items) or summary == seen[1]:
            continue  # the fallback: nothing to write
        with sessions() as session:
            development = session.get(Development, development_id)
            if development is None or (development.revision, development.summary) != seen:
                continue  # changed since it was read: its own poll rewrites it
            development.search_text = development.search_text.replace(seen[1], summary, 1)
            development.summary = summary
            session.add(development)
            session.commit()
            replaced += 1
    if replaced:
        log.info("LLM rewrote %d development summaries", replaced)
    return replaced
