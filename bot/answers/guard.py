"""Questions the engine cannot search: empty, only symbols, nothing to look for, too long.

They get one clear line (the usage, or the limit) instead of a list of the latest developments
or a search for a fragment of a cut question.
"""

from __future__ import annotations

import re

from bot.answers.query import MAX_QUESTION_CHARS, ParsedQuery

USAGE_TEXT = (
    "Ask a question in words, e.g. “any new Dutch chip export rules this week?” or "
    "“when do the EU AI Act's GPAI rules apply?”."
)


def question_problem(question: str) -> str | None:
    """Why `question` cannot be searched, in one line, or None when it can.

    An over-long question is refused rather than cut: the cut would leave a fragment as a
    search term, and echoing it back would repeat kilobytes.
    """
    text = question.strip()
    if len(text) > MAX_QUESTION_CHARS:
        return (
            f"That question is {len(text):,} characters; questions are limited to "
            f"{MAX_QUESTION_CHARS:,}. Ask it in a sentence or two."
        )
    if not re.search(r"[^\W_]", text):
        return USAGE_TEXT  # empty, "*", "???", an emoji: nothing to search for
    return None


def asks_anything(parsed: ParsedQuery) -> bool:
    """Whether the question names anything to search or filter on (not "what?")."""
    return bool(
        parsed.terms
        or parsed.all_jurisdictions
        or parsed.topics
        or parsed.window
        or parsed.other_places
        or parsed.instruments
        or parsed.favoured_jurisdictions
        or parsed.date_kinds
        or parsed.due_window
    )
