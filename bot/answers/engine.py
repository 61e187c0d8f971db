"""The answer engine: one function serves `policybot ask` and `/policy ask`.

It never writes an answer of its own: it quotes the one to three best developments from the
store (summary, date, jurisdictions, primary link) with one line saying what was searched, or
says plainly that nothing tracked matches.

How a development qualifies and ranks:
- Candidates come from the full-text index (`store.search`) over the question's content terms
  and their synonyms; a relative time window ("this week") filters them, a calendar one ("in
  January 2025") only favours matches inside it.
- Coverage: the share of the question's content, weighted by how rare each term is in the
  store (idf), that the development's text contains. A term no development contains weighs the
  most, so "Brazil's AI bill" is not answered with some other AI bill.
- A jurisdiction asked about as the actor ("Dutch rules", "Japan's act") must be one the
  development is tagged with; a country outside the vocabulary must be named in its text.
- Rank = coverage and full-text relevance, plus small terms for matching jurisdictions and
  topics, being inside the time window, importance and recency.
A development that clears no threshold is not quoted: the answer is "Nothing tracked matches".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
from sqlmodel import Session, col, select

from bot.answers.guard import USAGE_TEXT, asks_anything, question_problem
from bot.answers.periods import TimeWindow
from bot.answers.query import ParsedQuery, Term, jurisdiction_forms, parse_question
from bot.answers.scoring import (
    Candidate,
    assess,
    matched_dates,
    notes,
    qualifies,
    term_weights,
    unknown_names,
)
from bot.config import Settings
from bot.developments.timeline import timeline_lines, timelines
from bot.vocab import jurisdiction_label
from store.links import development_links
from store.models import Development, DevelopmentDate
from store.search import (
    DF_CAP,
    count_developments,
    developments_by_id,
    published_between,
    search_developments,
)

MAX_QUOTED = 3
CANDIDATES = 40
# A development quoted after the best one must score at least this share of the best score.
FOLLOWER_RATIO = 0.75


@dataclass(frozen=True)
class CitedDevelopment:
    id: int
    title: str
    url: str
    jurisdictions: list[str]
    topics: list[str]
    importance: str
    published: datetime | None
    summary: str
    sources: list[str]
    score: float
    timeline: list[str] = field(default_factory=list)  # "takes effect 2 August 2026", by date
    note: str = ""  # "tagged US, not IN": shown although not tagged as asked

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "jurisdictions": self.jurisdictions,
            "topics": self.topics,
            "published": self.published.isoformat() if self.published else None,
            "summary": self.summary,
            "sources": self.sources,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # the plain-text answer (what `policybot ask` prints)
    searched: str  # one line: what was searched
    developments: list[CitedDevelopment]
    suggestions: list[str] = field(default_factory=list)
    # An LLM's wording of the answer from the cited developments only, with [n] citations;
    # None when no LLM is configured or its reply was unusable (the extractive text stands).
    phrased: str | None = None
    # Set when the question could not be searched (empty, only symbols, too long): `text` is
    # then this one line, and nothing was searched.
    problem: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.developments)

    def as_json(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "developments": [d.as_json() for d in self.developments],
        }


def _window_bounds(parsed: ParsedQuery) -> tuple[datetime | None, datetime | None]:
    if parsed.window is None or not parsed.window.relative:
        return None, None
    return parsed.window.outer_start, parsed.window.outer_end


def _candidates(
    session: Session, parsed: ParsedQuery, weights: Sequence[tuple[Term, float, int]]
) -> list[Candidate]:
    """Candidates from the index: every term first; when that finds few, any rare term.

    Terms in more than DF_CAP developments are left out of the "any term" query when rarer ones
    exist: they match too much to find anything, and scoring all those rows is what is slow.
    """
    start, end = _window_bounds(parsed)
    span: tuple[int, int] | None = None
    empty_window = False
    if start is not None or end is not None:
        # A relative window ("this month") is read from the publication-date index first:
        # nothing published in it, nothing to search; else the searches look only at the
        # stretch of ids published in it.
        published = published_between(session, start, end)
        empty_window, span = published.count == 0, published.ids_between
    named = [[p] for p in parsed.other_places] + [list(n) for n in parsed.instruments]
    groups = [list(t.forms) for t, _w, _df in weights] + named
    rare = [list(t.forms) for t, _w, df in weights if df < DF_CAP] + named
    by_id: dict[int, float] = {}

    def run(
        match: Literal["all", "any"],
        chosen: list[list[str]],
        limit: int,
        scope: Sequence[str] = (),
        calendar: TimeWindow | None = None,
    ) -> dict[int, float]:
        hits = search_developments(
            session,
            groups=chosen,
            match=match,
            limit=limit,
            published_from=calendar.start if calendar else start,
            published_to=calendar.end if calendar else end,
            jurisdictions_any=scope,
            ids_between=None if calendar else span,
        )
        best = max((h.score for h in hits), default=0.0)
        return {h.development_id: (h.score / best if best > 0 else 0.0) for h in hits}

    if empty_window:
        pass  # only a date the window holds can answer ("what takes effect this month")
    elif groups:
        scope = parsed.jurisdictions
        every = run("all", groups, CANDIDATES, scope)
        if len(every) < CANDIDATES // 2:
            # Fewer whole matches than wanted: partial matches compete too, a little behind.
            for dev_id, rel in run("any", rare or groups, CANDIDATES, scope).items():
                by_id[dev_id] = 0.8 * rel
        by_id.update(every)
        distinctive = [list(t.forms) for t, _w, df in weights if df < DF_CAP] + named
        if scope and distinctive and (len(every) < CANDIDATES // 2 or parsed.window):
            # Tags rank, they do not exclude: developments tagged otherwise compete too when
            # they name a jurisdiction asked about, which an answer outside the tags needs,
            # and the question's rarer words (common ones alone are no close match). Not when
            # plenty of developments tagged as asked match every word: one tagged otherwise
            # scores below each of those (it lacks the tag's share of coverage and bonus).
            outside = [*distinctive, list(jurisdiction_forms(scope))]
            for dev_id, rel in run("all", outside, CANDIDATES // 2).items():
                by_id.setdefault(dev_id, 0.8 * rel)
        if parsed.favoured_jurisdictions:
            # A region asked about ("Asian governments"): its developments are candidates.
            region = parsed.favoured_jurisdictions
            for dev_id, rel in run("any", rare or groups, CANDIDATES, region).items():
                by_id.setdefault(dev_id, 0.8 * rel)
        if parsed.window is not None and not parsed.window.relative:
            # A calendar window favours its own matches: make sure they are candidates too.
            for dev_id, rel in run("any", groups, CANDIDATES // 2, calendar=parsed.window).items():
                by_id.setdefault(dev_id, 0.8 * rel)
    else:
        # No content words ("anything new this week?"): everything in the window may answer.
        by_id = {d: 0.0 for d in _browse_ids(session, parsed)}
    for dev_id in _dated_ids(session, parsed):
        # Developments setting a date in the window asked about ("takes effect next month").
        by_id.setdefault(dev_id, 0.0)
    if not by_id:
        return []
    devs = developments_by_id(session, list(by_id))
    return [Candidate(dev=d, relevance=max(by_id[d.id or 0], 0.0)) for d in devs]


def _dated_ids(session: Session, parsed: ParsedQuery) -> list[int]:
    """Developments with a timeline date of the kinds asked about inside the window asked
    about (the forward one, or a dated question's window: "kick in this week")."""
    window = parsed.due_window or (parsed.window if parsed.date_kinds else None)
    if window is None or window.start is None or window.end is None:
        return []
    zone = window.zone or UTC
    first = window.start.astimezone(zone).date()
    last = (window.end - timedelta(seconds=1)).astimezone(zone).date()
    stmt = select(DevelopmentDate.development_id).where(
        col(DevelopmentDate.day) >= first, col(DevelopmentDate.day) <= last
    )
    if parsed.date_kinds:
        stmt = stmt.where(col(DevelopmentDate.kind).in_(list(parsed.date_kinds)))
    stmt = stmt.order_by(col(DevelopmentDate.day)).limit(CANDIDATES)
    return list(dict.fromkeys(session.exec(stmt).all()))


def _browse_ids(session: Session, parsed: ParsedQuery) -> list[int]:
    stmt = select(Development.id)
    if parsed.window is not None:
        if parsed.window.start is not None:
            stmt = stmt.where(col(Development.published_at) >= parsed.window.start)
        if parsed.window.end is not None:
            stmt = stmt.where(col(Development.published_at) < parsed.window.end)
    stmt = stmt.order_by(col(Development.published_at).desc()).limit(CANDIDATES)
    return [i for i in session.exec(stmt).all() if i is not None]


def cite_developments(
    session: Session,
    devs: Sequence[Development],
    *,
    scores: Sequence[float] = (),
    notes: Sequence[str] = (),
    first_dates: Sequence[Sequence[DevelopmentDate]] = (),
    dated: Mapping[int, Sequence[DevelopmentDate]] | None = None,
) -> list[CitedDevelopment]:
    """The citation of each development: its links (official sources first), tags, dates
    (`dated`: their timelines when already read)."""
    ids = [d.id for d in devs if d.id is not None]
    links = development_links(session, ids)
    if dated is None:
        dated = timelines(session, ids)
    out = []
    for n, dev in enumerate(devs):
        ordered = [link.url for link in links.get(dev.id or 0, [])]
        out.append(
            CitedDevelopment(
                id=dev.id or 0,
                title=dev.title,
                url=ordered[0] if ordered else "",
                jurisdictions=list(dev.jurisdictions),
                topics=list(dev.topics),
                importance=dev.importance,
                published=dev.published_at,
                summary=dev.summary,
                sources=ordered,
                score=round(scores[n], 4) if n < len(scores) else 0.0,
                timeline=timeline_lines(
                    dated.get(dev.id or 0, []), first=first_dates[n] if n < len(first_dates) else ()
                ),
                note=notes[n] if n < len(notes) else "",
            )
        )
    return out


def _suggestions(parsed: ParsedQuery, total: int) -> list[str]:
    tips = []
    if total == 0:
        return ["Nothing has been collected yet: run `policybot poll` or wait for the next poll."]
    if parsed.other_places:
        names = ", ".join(p.title() for p in parsed.other_places)
        tips.append(
            f"No tracked development is about {names}; `/policy sources` lists what is watched."
        )
    for code in parsed.jurisdictions:
        tips.append(f"Try `/policy latest {code}` for the newest {jurisdiction_label(code)} items.")
    if parsed.window is not None:
        tips.append("Try a wider time range, or leave the dates out.")
    if len(parsed.terms) > 3:
        tips.append("Try fewer, more specific words (a rule's name, an agency, a product).")
    tips.append("`/policy search WORDS` lists every development mentioning the words.")
    return tips[:3]


def _format_answer(parsed: ParsedQuery, cited: Sequence[CitedDevelopment], total: int) -> str:
    lines = []
    for n, dev in enumerate(cited, start=1):
        day = dev.published.date().isoformat() if dev.published else "undated"
        where = ", ".join(dev.jurisdictions) or "no jurisdiction"
        note = f"; {dev.note}" if dev.note else ""
        lines.append(f"{n}. {dev.title} ({day}; {where}{note})")
        if dev.timeline:
            lines.append("   " + "; ".join(dev.timeline))
        if dev.summary:
            lines.append(f"   {dev.summary}")
        if dev.url:
            lines.append(f"   {dev.url}")
    lines.append(f"Searched {total} tracked developments: {parsed.describe()}.")
    return "\n".join(lines)


def nothing_matches_text(parsed: ParsedQuery, total: int, suggestions: Sequence[str]) -> str:
    lines = [f"Nothing tracked matches “{parsed.raw}”."]
    lines.extend(f"- {s}" for s in suggestions)
    lines.append(f"Searched {total} tracked developments: {parsed.describe()}.")
    return "\n".join(lines)


def timelines_read(parsed: ParsedQuery) -> bool:
    """Whether ranking reads the candidates' timelines: only a question with dates uses them."""
    return bool(parsed.window or parsed.due_window or parsed.date_kinds)


def rank_candidates(
    session: Session, parsed: ParsedQuery, *, now: datetime, qualifying_only: bool = True
) -> tuple[list[Candidate], int]:
    """Qualifying candidates, best first, and how many developments the store holds
    (every candidate assessed, with `qualifying_only=False`: bench/eval_qa.py --show-errors)."""
    total = count_developments(session)
    if total == 0:
        return [], 0
    weights = term_weights(session, parsed, total)
    if unknown_names(session, parsed, weights):
        return [], total
    candidates = _candidates(session, parsed, weights)
    if not candidates:
        return [], total
    # Timelines rank only questions with dates in them; otherwise the cited few are read.
    ids = [c.dev.id for c in candidates if c.dev.id is not None]
    dated = timelines(session, ids) if timelines_read(parsed) else {}
    for cand in candidates:
        cand.dates = dated.get(cand.dev.id or 0, [])
        assess(cand, parsed, weights, total, now=now)
    kept = [c for c in candidates if not qualifying_only or qualifies(c, parsed)]
    kept.sort(
        key=lambda c: (c.score, c.dev.published_at or datetime.min.replace(tzinfo=now.tzinfo)),
        reverse=True,
    )
    return kept, total


PHRASE_SYSTEM = (
    "You answer questions about AI policy for busy staff. Use ONLY the numbered developments "
    "given. Cite each claim with its number in square brackets, like [1]. Do not add facts, "
    "dates or names that are not in them. If they do not answer the question, say so. "
    "At most 4 sentences, plain text."
)
PHRASE_MAX_TOKENS = 220
PHRASE_MAX_CHARS = 900
_CITATION_RE = re.compile(r"\[(\d+)\]")


def phrase_prompt(question: str, cited: Sequence[CitedDevelopment]) -> str:
    parts = [f"Question: {question}", "Developments:"]
    for n, dev in enumerate(cited, start=1):
        day = dev.published.date().isoformat() if dev.published else "undated"
        where = ", ".join(dev.jurisdictions) or "none"
        parts.append(f"[{n}] {dev.title} ({day}; jurisdictions: {where})\n{dev.summary[:1200]}")
    return "\n\n".join(parts)


def acceptable_phrasing(text: str, cited_count: int) -> str | None:
    """The LLM's answer if it cites only the given developments and stays short; else None."""
    cleaned = re.sub(r"\s+", " ", text.replace("**", "")).strip()
    numbers = {int(n) for n in _CITATION_RE.findall(cleaned)}
    if not cleaned or len(cleaned) > PHRASE_MAX_CHARS or not numbers:
        return None
    if any(n < 1 or n > cited_count for n in numbers):
        return None
    return cleaned


def _phrase(
    session: Session,
    question: str,
    cited: Sequence[CitedDevelopment],
    *,
    settings: Settings,
    now: datetime,
    transport: httpx.BaseTransport | None,
) -> str | None:
    if not settings.llm_enabled or not cited:
        return None
    from bot.llm import TokenBudget, complete

    budget = TokenBudget.of(session)
    # End the answer's read transaction first: on SQLite it holds the write lock (every
    # transaction begins IMMEDIATE), which the LLM call must not hold for its time-out.
    session.commit()
    reply = complete(
        phrase_prompt(question, cited),
        settings=settings,
        budget=budget,
        system=PHRASE_SYSTEM,
        max_tokens=PHRASE_MAX_TOKENS,
        now=now,
        transport=transport,
    )
    return acceptable_phrasing(reply, len(cited)) if reply else None


def answer_question(
    session: Session,
    *,
    question: str,
    now: datetime,
    settings: Settings,
    llm_transport: httpx.BaseTransport | None = None,
) -> Answer:
    """Answer `question` from the store as if it were `now` (aware).

    With an LLM configured, it may word the answer from the cited developments only (checked:
    every [n] must be one of them); otherwise, or on any failure, the answer is extractive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    problem = question_problem(question)
    parsed = None if problem else parse_question(question, now=now, tz=settings.tz)
    if parsed is not None and not asks_anything(parsed):
        problem = USAGE_TEXT
    if problem is not None or parsed is None:
        text = problem or USAGE_TEXT
        return Answer(question="", text=text, searched="", developments=[], problem=text)
    ranked, total = rank_candidates(session, parsed, now=now)
    chosen: list[Candidate] = []
    if ranked:
        top = ranked[0].score
        chosen = [c for c in ranked[:MAX_QUOTED] if c.score >= FOLLOWER_RATIO * top]
    if not chosen:
        tips = _suggestions(parsed, total)
        return Answer(
            question=parsed.raw,
            text=nothing_matches_text(parsed, total, tips),
            searched=parsed.describe(),
            developments=[],
            suggestions=tips,
        )
    cited = cite_developments(
        session,
        [c.dev for c in chosen],
        scores=[c.score for c in chosen],
        notes=[notes(c, parsed) for c in chosen],
        first_dates=[matched_dates(c, parsed) for c in chosen],
        dated={c.dev.id or 0: c.dates for c in chosen} if timelines_read(parsed) else None,
    )
    phrased = _phrase(
        session, parsed.raw, cited, settings=settings, now=now, transport=llm_transport
    )
    text = _format_answer(parsed, cited, total)
    if phrased:
        text = f"{phrased}\n\n{text}"
    return Answer(
        question=parsed.raw,
        text=text,
        searched=parsed.describe(),
        developments=cited,
        phrased=phrased,
    )
