"""How well a development answers a question: the evidence model of the answer engine.

- Coverage: the share of the question's content, weighted by how rare each term is in the
  store (idf), that the development's text contains. A term no development contains weighs the
  most, so "Brazil's AI bill" is not answered with some other AI bill.
- A jurisdiction asked about as the actor counts as part of the question: a development tagged
  with it covers that part; one tagged otherwise answers only a close text match that names
  the jurisdiction in its title or summary (tags rank, they never exclude).
- Score = coverage and full-text relevance, plus small terms for matching jurisdictions and
  topics, being inside the time window, importance and recency.
- A development qualifies when it covers enough of the question (`qualifies`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from bot.answers.evidence import names_covered, off_scope, topic_covered
from bot.answers.periods import TimeWindow
from bot.answers.query import ParsedQuery, Term, jurisdictions_named
from bot.answers.stemming import stems_of, term_stems
from bot.vocab import IMPORTANCE_RANK, normalize_topic
from store.models import Development, DevelopmentDate
from store.search import document_frequencies

# Below this idf-weighted share of the question found in a development, it does not answer it.
MIN_COVERAGE = 0.5
MIN_COVERAGE_OUTSIDE_WINDOW = 0.85
# Below this idf-weighted share of the question's content words (places and jurisdictions
# aside), a development does not answer it, however well it matches the places. Both
# thresholds: bench/calibrate_qa.py, chosen on the q* questions only.
MIN_CONTENT_COVERAGE = 0.35
# A development not tagged with the jurisdiction asked about answers only a close text match.
MIN_COVERAGE_OFF_SCOPE = 0.85
KEY_TERM_FACTOR = 1.5
# The share of a jurisdiction's part of the question that naming it in the title or summary
# covers, when the development is not tagged with it.
NAMED_JURISDICTION_CREDIT = 0.5
UNKNOWN_WORD_DF = 3


@dataclass
class Candidate:
    dev: Development
    relevance: float = 0.0
    coverage: float = 0.0  # of everything asked: content terms, places, the jurisdiction
    content_coverage: float = 0.0  # of the content terms alone
    names_covered: bool = True  # every place outside the vocabulary and instrument named
    on_topic: bool = True  # tagged with a topic asked about, or using its words
    dates: list[DevelopmentDate] = field(default_factory=list)  # its timeline
    names_asked_place: bool = False  # its title or summary names a jurisdiction asked about
    score: float = 0.0


def idf(df: int, total: int) -> float:
    return math.log((total + 1) / (df + 0.5))


def term_weights(
    session: Session, parsed: ParsedQuery, total: int
) -> list[tuple[Term, float, int]]:
    """Each content term's weight (its idf, more for names) and document frequency.

    A plain word no development contains ("argued", "compare") is usually the asker's phrasing,
    so it weighs like a rare word rather than like a missing name.
    """
    forms = [f for t in parsed.terms for f in t.forms]
    counts = document_frequencies(session, terms=forms) if forms else {}
    weights = []
    for term in parsed.terms:
        df = max((counts.get(f, 0) for f in term.forms), default=0)
        if term.key:
            weight = KEY_TERM_FACTOR * idf(df, total)
        else:
            weight = idf(max(df, UNKNOWN_WORD_DF), total) * (0.5 if df == 0 else 1.0)
        weights.append((term, weight, df))
    return weights


def unknown_names(
    session: Session, parsed: ParsedQuery, weights: Sequence[tuple[Term, float, int]]
) -> list[str]:
    """Names in the question (and countries outside the vocabulary) no development mentions."""
    missing = [t.text for t, _w, df in weights if t.key and df == 0]
    if parsed.other_places:
        counts = document_frequencies(session, terms=parsed.other_places)
        missing += [p for p in parsed.other_places if counts.get(p, 0) == 0]
    return missing


def coverage(
    stems: set[str],
    weights: Sequence[tuple[Term, float, int]],
    others: Sequence[str],
    total: int,
    *,
    topics: Sequence[str] = (),
    instruments: int = 0,
    instruments_named: bool = False,
) -> float:
    # An instrument named in full ("the AI Promotion Act") weighs as a rare name.
    need = instruments * KEY_TERM_FACTOR * idf(1, total)
    have = need if instruments_named else 0.0
    for term, weight, _df in weights:
        need += weight
        # A topic word ("regulation") is covered by the topic tag as well as by the word.
        if normalize_topic(term.text) in topics or any(
            all(s in stems for s in term_stems(f)) for f in term.forms
        ):
            have += weight
    for place in others:
        weight = KEY_TERM_FACTOR * idf(0, total)
        need += weight
        if all(s in stems for s in term_stems(place)):
            have += weight
    return have / need if need else 1.0


def within(when: datetime | None, window: TimeWindow | None) -> bool:
    if window is None or when is None:
        return False
    if window.start is not None and when < window.start:
        return False
    return not (window.end is not None and when >= window.end)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def dates_asked(cand: Candidate, parsed: ParsedQuery) -> list[DevelopmentDate]:
    """The candidate's timeline dates of the kinds asked about (all of them if none is)."""
    kinds = set(parsed.date_kinds)
    return [d for d in cand.dates if not kinds or d.kind in kinds]


def in_window(cand: Candidate, parsed: ParsedQuery) -> bool:
    """Published inside the question's window, or setting a date inside it ("the Oct 2023
    rules" were published in October, whenever the comment extension was)."""
    window = parsed.window
    if window is None:
        return False
    if within(cand.dev.published_at, window):
        return True
    if window.relative and not parsed.date_kinds:
        return False  # "what's new this week" asks what was published
    return any(within(day_start(d.day), window) for d in dates_asked(cand, parsed))


def in_due_window(cand: Candidate, parsed: ParsedQuery) -> bool:
    return any(within(day_start(d.day), parsed.due_window) for d in dates_asked(cand, parsed))


def score_candidate(cand: Candidate, parsed: ParsedQuery, now: datetime) -> float:
    dev = cand.dev
    score = 0.55 * cand.coverage + 0.25 * cand.relevance
    tags = set(dev.jurisdictions)
    # Each jurisdiction asked about that the development is tagged with counts.
    score += 0.1 * len(tags & set(parsed.all_jurisdictions))
    if tags & set(parsed.favoured_jurisdictions):
        score += 0.1
    if set(dev.topics) & set(parsed.topics):
        score += 0.05
    if parsed.window is not None and in_window(cand, parsed):
        score += 0.25
    if parsed.due_window is not None and in_due_window(cand, parsed):
        score += 0.25
    if parsed.date_kinds and dates_asked(cand, parsed):
        score += 0.05
    score += 0.02 * IMPORTANCE_RANK.get(dev.importance, 1)
    if dev.published_at is not None:
        age_days = max((now - dev.published_at).days, 0)
        score += 0.05 * math.exp(-age_days / 365)
    if not dev.relevant:
        score -= 0.3
    return score


def qualifies(cand: Candidate, parsed: ParsedQuery) -> bool:
    if parsed.due_window is not None and not in_due_window(cand, parsed):
        return False
    if off_scope(cand.dev, parsed) and (
        cand.content_coverage < MIN_COVERAGE_OFF_SCOPE or not cand.names_asked_place
    ):
        return False
    # Outside the window asked about, only a development that holds the question's words very
    # closely (its places aside: they rank), and then outside a relative window ("this week")
    # only inside another reading of it ("last week" asked on a Monday: the calendar week just
    # ended), and outside a calendar one ("in May 2024") only when the date qualifies a noun
    # the development names: one of its dates, of any kind, is in the window ("the Oct 2023
    # rules", whose comment period was extended in December). A close match with no date in
    # the month asked about is another event ("the Seoul summit in May 2024" is not an act
    # passed in Seoul in December).
    window = parsed.window
    if window is not None and not in_window(cand, parsed):
        close = bool(parsed.terms) and cand.content_coverage >= MIN_COVERAGE_OUTSIDE_WINDOW
        if not close:
            return False
        if window.relative:
            loose = TimeWindow(window.outer_start, window.outer_end, window.label, True)
            if not within(cand.dev.published_at, loose):
                return False
        elif not any(within(day_start(d.day), window) for d in cand.dates):
            return False
    if not cand.names_covered or not cand.on_topic:
        return False
    return not parsed.terms or (
        cand.coverage >= MIN_COVERAGE and cand.content_coverage >= MIN_CONTENT_COVERAGE
    )


def outside_window(cand: Candidate, parsed: ParsedQuery) -> str:
    """ "published 2025-11-18, outside last week" for a close match shown from outside the
    window asked about (the window ranks; it excludes only what matches loosely)."""
    if parsed.window is None or in_window(cand, parsed):
        return ""
    published = cand.dev.published_at
    day = published.date().isoformat() if published else "undated"
    return f"published {day}, outside {parsed.window.label}"


def notes(cand: Candidate, parsed: ParsedQuery) -> str:
    """What the answer admits about a development shown although it is outside the scope
    asked (its tags, its date)."""
    return "; ".join(n for n in (off_scope(cand.dev, parsed), outside_window(cand, parsed)) if n)


def matched_dates(cand: Candidate, parsed: ParsedQuery) -> list[DevelopmentDate]:
    """The candidate's dates inside the window the question asks about (shown first)."""
    window = parsed.due_window or (parsed.window if parsed.date_kinds else None)
    return [d for d in dates_asked(cand, parsed) if within(day_start(d.day), window)]


def assess(
    cand: Candidate,
    parsed: ParsedQuery,
    weights: Sequence[tuple[Term, float, int]],
    total: int,
    *,
    now: datetime,
) -> None:
    """Fill in the candidate's coverage, evidence and score for the question."""
    dev = cand.dev
    text = f"{dev.title} {dev.summary} {dev.search_text}"
    stems = stems_of(text)
    head_stems = stems_of(f"{dev.title} {dev.summary}") if parsed.other_places else set()
    cand.names_covered = names_covered(text, head_stems, parsed)
    cand.on_topic = topic_covered(dev, stems, parsed)
    # Named in the title or summary, where the subject is: a country listed deep in the
    # text ("tier 2: India, ...") is usually a target, not who acted. Read only when a
    # jurisdiction asked about is not among its tags.
    # A development the tagger found no jurisdiction for has only its text as evidence of
    # who acted: all of it is read.
    untagged = set(parsed.jurisdictions) - set(dev.jurisdictions)
    where = f"{dev.title}. {dev.summary}" if dev.jurisdictions else text
    head = set(jurisdictions_named(where)) if untagged else set()
    cand.names_asked_place = bool(head & set(parsed.jurisdictions))
    n_named = len(parsed.instruments)
    cand.content_coverage = coverage(
        stems,
        weights,
        (),
        total,
        topics=dev.topics,
        instruments=n_named,
        instruments_named=cand.names_covered,
    )
    cand.coverage = coverage(
        stems,
        weights,
        parsed.other_places,
        total,
        topics=dev.topics,
        instruments=n_named,
        instruments_named=cand.names_covered,
    )
    if parsed.jurisdictions and weights:
        # Each jurisdiction asked about is part of the question too (its words were taken out
        # of the terms), weighing like an average term: a development tagged with it covers
        # that part, one naming it in its title or summary covers it partly (tags rank, they
        # do not exclude). "Washington and the Emiratis" asks for both.
        base = sum(w for _t, w, _df in weights)
        part = base / len(weights)
        tags = set(dev.jurisdictions)
        credit = sum(
            1.0 if code in tags else NAMED_JURISDICTION_CREDIT if code in head else 0.0
            for code in parsed.jurisdictions
        )
        need = base + part * len(parsed.jurisdictions)
        cand.coverage = (cand.coverage * base + part * credit) / need
    cand.score = score_candidate(cand, parsed, now)
