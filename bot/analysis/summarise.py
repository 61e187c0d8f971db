"""Extractive summaries: deterministic, offline, every sentence verbatim from the source.

A summary is one to three sentences and at most 400 characters. Sentences are split with
`sentencex`. Boilerplate (datelines, "for immediate release", contact lines, cookie banners,
"read more") is skipped; a dateline in front of the first sentence ("WASHINGTON, Oct. 7 -")
is cut off, leaving the sentence itself. Sentences are ranked by position (press releases and
news put the news first) plus a bonus for saying who did what and when (an actor, an action
verb, a date word). The chosen sentences keep their order in the text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import sentencex

MAX_CHARS = 400
MAX_SENTENCES = 3

_BOILERPLATE = re.compile(
    r"for immediate release|media (?:enquiries|inquiries|contact)|press (?:office|contact)|"
    r"contact:|e-?mail:|tel(?:ephone)?[:.]|phone:|\bcookies?\b|privacy (?:policy|notice)|"
    r"terms of use|all rights reserved|copyright (?:©|\(c\)|\d{4})|©|subscribe to|sign up (?:for|to)|newsletter|click here|"
    r"read more|follow us|share this|print this|skip to|back to top|###|^-?\s*ends\s*-?$|"
    r"this (?:article|alert|post) (?:is|was) (?:for|provided)|not legal advice|"
    r"for more information|learn more|related (?:links|articles)|@\w|https?://",
    re.IGNORECASE,
)
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Z.'’ -]{2,40}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)"
    r"(?:,\s*(?:[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}))?"
    r"\s*(?:[-–—:]|\(\w+\))\s+"
)
_ACTION = re.compile(
    r"\b(?:announc\w*|publish\w*|issu\w*|impos\w*|adopt\w*|approv\w*|restrict\w*|ban\w*|"
    r"add\w*|agree\w*|sign\w*|suspend\w*|revok\w*|releas\w*|launch\w*|introduc\w*|requir\w*|"
    r"finali[sz]\w*|enact\w*|unveil\w*|order\w*|extend\w*|expand\w*|tighten\w*|relax\w*|"
    r"lift\w*|amend\w*|propos\w*|consult\w*|will take effect|takes? effect|enter\w* into force|"
    r"appl(?:y|ies)|placed|put|moved?|moves|said|declined|opened?|set|sets)\b",
    re.IGNORECASE,
)
_WHEN = re.compile(
    r"\b(?:today|yesterday|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"\d{4}|effective|from \d|this week|immediately)\b",
    re.IGNORECASE,
)
_ACTOR = re.compile(r"\b[A-Z][A-Za-z]+|\b[A-Z]{2,}\b")
_DIGIT = re.compile(r"\d")

# The case-insensitive patterns above cost tens of microseconds per sentence, and most
# sentences match neither. For an ASCII sentence (where ignoring case is plain lowercasing),
# each pattern can only match if its lowercased text holds one of these pieces, which every
# alternative contains: a cheap test that skips the pattern, never a match.
_BOILERPLATE_PIECES = (
    "for immediate release", "media ", "press ", "contact:", "mail:", "tel", "phone:",
    "cookie", "privacy ", "terms of use", "all rights reserved", "copyright ", "subscribe to",
    "sign up ", "newsletter", "click here", "read more", "follow us", "share this",
    "print this", "skip to", "back to top", "###", "ends", "this article", "this alert",
    "this post", "not legal advice", "for more information", "learn more", "related ", "@",
    "http",
)  # fmt: skip
_ACTION_PIECES = (
    "announc", "publish", "issu", "impos", "adopt", "approv", "restrict", "ban", "add",
    "agree", "sign", "suspend", "revok", "releas", "launch", "introduc", "requir", "finali",
    "enact", "unveil", "order", "extend", "expand", "tighten", "relax", "lift", "amend",
    "propos", "consult", "effect", "enter", "appl", "placed", "put", "move", "said",
    "declined", "open", "set",
)  # fmt: skip
_WHEN_PIECES = (
    "today", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "effective", "this week", "immediately",
)  # fmt: skip


def _may_hold(sentence: str, pieces: tuple[str, ...]) -> bool:
    """False only when an ASCII sentence holds none of `pieces` in any letter case."""
    if not sentence.isascii():
        return True
    lowered = sentence.lower()
    return any(piece in lowered for piece in pieces)


def _is_boilerplate_text(sentence: str) -> bool:
    return _may_hold(sentence, _BOILERPLATE_PIECES) and bool(_BOILERPLATE.search(sentence))


def _says_when(sentence: str) -> bool:
    # `\d{4}` and `from \d` need a digit; every other alternative is one of the pieces.
    if not (_DIGIT.search(sentence) or _may_hold(sentence, _WHEN_PIECES)):
        return False
    return bool(_WHEN.search(sentence))


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped, in order (paragraph breaks always end a sentence)."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*[-*•])", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for sentence in sentencex.segment("en", paragraph):
            cleaned = sentence.strip()
            if cleaned:
                out.append(cleaned)
    return out


def is_boilerplate(sentence: str) -> bool:
    if _is_boilerplate_text(sentence):
        return True
    if sentence.count("|") >= 2 or re.match(r"^\s*\d{4}-\d{4,5}\b", sentence):
        return True  # a metadata line (document number | citation | date)
    words = re.findall(r"[A-Za-z]+", sentence)
    return len(words) < 4


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading dateline ("LONDON, 3 May 2025 -"), if it has one."""
    m = _DATELINE.match(sentence)
    if m and len(sentence) - m.end() > 40 and m.group(0).strip()[:1].isupper():
        head = m.group(0)
        # Only a real dateline: capitals or a date, then a dash or colon.
        if re.search(r"[-–—:]\s*$", head) and (head.isupper() or re.search(r"\d", head)):
            return sentence[m.end() :].strip()
    return sentence


def _score(sentence: str, position: int) -> float:
    score = 3.0 / (1 + position)  # lead bias
    if _may_hold(sentence, _ACTION_PIECES) and _ACTION.search(sentence):
        score += 1.0
    if _says_when(sentence):
        score += 0.5
    if len(_ACTOR.findall(sentence)) >= 2:
        score += 0.5
    length = len(sentence)
    if length < 50:
        score -= 1.0
    if length > 300:
        score -= 0.75
    if sentence.endswith("?"):
        score -= 1.0
    return score


def extractive_summary(
    text: str, *, title: str = "", max_chars: int = MAX_CHARS, max_sentences: int = MAX_SENTENCES
) -> str:
    """One to three verbatim sentences of `text` (at most `max_chars`), or the title."""
    candidates: list[str] = []
    for sentence in split_sentences(text):
        sentence = strip_dateline(sentence)
        if is_boilerplate(sentence) or sentence in candidates:
            continue
        candidates.append(sentence)
    if not candidates:
        return _clip(title.strip(), max_chars)
    scores = [_score(sentence, i) for i, sentence in enumerate(candidates)]
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[: max(6, max_sentences)]
    chosen: list[int] = []
    used = 0
    best = scores[ranked[0]]
    for index in ranked:
        sentence = candidates[index]
        # Further sentences only when they are nearly as informative as the best one.
        if chosen and (scores[index] < 0.6 * best or len(sentence) < 50):
            continue
        extra = len(sentence) + (1 if chosen else 0)
        if used + extra > max_chars:
            continue
        chosen.append(index)
        used += extra
        if len(chosen) >= max_sentences or used > max_chars * 0.6:
            break
    if not chosen:
        return _clip(candidates[0], max_chars)
    return " ".join(candidates[i] for i in sorted(chosen))


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def page_change(old: str, new: str) -> tuple[str, str]:
    """Sentences added and removed between two versions of a page (each joined by newlines)."""
    before = split_sentences(old)
    after = split_sentences(new)
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed.extend(before[a1:a2])
        if op in ("replace", "insert"):
            added.extend(after[b1:b2])
    return "\n".join(added), "\n".join(removed)


def page_change_summary(added: str, removed: str, *, max_chars: int = MAX_CHARS) -> str:
    """What changed on a page, in at most `max_chars`: quoted added and removed sentences."""
    parts: list[str] = []
    added_lines = [s for s in added.split("\n") if s.strip()]
    removed_lines = [s for s in removed.split("\n") if s.strip()]
    budget = max_chars // 2 if added_lines and removed_lines else max_chars
    if added_lines:
        parts.append(_clip(f"Added: {_join_quoted(added_lines)}", budget))
    if removed_lines:
        parts.append(_clip(f"Removed: {_join_quoted(removed_lines)}", budget))
    if not parts:
        return "The page changed (layout or formatting only)."
    return " ".join(parts)


def _join_quoted(lines: Sequence[str]) -> str:
    return " ".join(f"“{line}”" for line in lines[:3]) + (
        f" (+{len(lines) - 3} more)" if len(lines) > 3 else ""
    )


def summarise_items(items: Sequence[tuple[str, str]], *, max_chars: int = MAX_CHARS) -> str:
    """Extractive summary of a development from its items' (title, text), primary first.

    The first item with usable sentences gives the summary; the others are only a fallback, so
    a primary source's words are preferred over a report about it.
    """
    for title, text in items:
        summary = extractive_summary(text, title=title, max_chars=max_chars)
        if summary and summary != title.strip():
            return summary
    return _clip(items[0][0].strip(), max_chars) if items else ""
