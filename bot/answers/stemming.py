"""A light stemmer for comparing question words with document words (no dependency).

Comparing the first seven letters after stripping a common suffix makes "restrict" match
"restrictions" and "control" match "controlling"; long words rarely collide on seven letters.
"""

from __future__ import annotations

import re
from functools import lru_cache

STEM_PREFIX = 7


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    w = word.lower()
    if len(w) <= 3:
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("xes", "x"),
        ("ing", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    # Comparing the first seven letters makes "restrict" match "restrictions" and "control"
    # match "controlling" without a full stemmer; long words rarely collide on seven letters.
    return w[:STEM_PREFIX]


_DOC_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


def stems_of(text: str) -> set[str]:
    return {stem(t) for t in set(_DOC_TOKEN_RE.findall(text.lower()))}


@lru_cache(maxsize=8192)
def term_stems(form: str) -> tuple[str, ...]:
    """The stems a (possibly multi-word) form needs; all must be present for it to match."""
    return tuple(stem(t) for t in _DOC_TOKEN_RE.findall(form.lower()))
