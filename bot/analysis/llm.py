"""Optional LLM summaries (placeholder until the providers land): extractive fallback."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.analysis.summarise import summarise_items
from bot.config import Settings


def summarise_development(
    items: Sequence[tuple[str, str]], *, settings: Settings, session: Session | None = None
) -> str:
    """Summary of a development from its items' (title, text), primary source first."""
    return summarise_items(items)
