"""Full-text search over developments (title, summary, search_text).

SQLite: the FTS5 table `developments_fts` (migration 0003), ranked with `bm25()` weighted
title 5 : summary 3 : text 1. The query is tried with every term required first and falls back
to any term when that finds too few (measured best in research/dependencies.md section 3).
PostgreSQL: the weighted `tsvector` in `developments_fts` with a GIN index, ranked with
`ts_rank`; PostgreSQL tokenises the terms itself and the terms are OR-ed.

Scores are "higher is better" on both backends but are not comparable between them or
between queries; callers normalise them per query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session, col, select

from store.models import Development
from store.types import UTCDateTime

Match = Literal["all", "any", "auto"]

# A term is kept as a run of letters/digits; everything else is a separator for FTS5.
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Caps how many rows a document-frequency count reads: rarer terms are what matter.
DF_CAP = 2000


@dataclass(frozen=True)
class SearchHit:
    development_id: int
    score: float


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _tokens(terms: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for term in terms:
        for token in _TOKEN_RE.findall(term.lower()):
            seen.setdefault(token, None)
    return list(seen)


def _phrase(term: str) -> str | None:
    """A quoted FTS5 phrase for one person-typed term (several tokens become a phrase)."""
    tokens = _TOKEN_RE.findall(term.lower())
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"'


def fts5_query(terms: Sequence[str], *, match: Literal["all", "any"]) -> str:
    """An FTS5 MATCH string: every term quoted (no operator injection), joined AND/OR."""
    phrases = [p for p in (_phrase(t) for t in terms) if p]
    joiner = " AND " if match == "all" else " OR "
    return joiner.join(dict.fromkeys(phrases))


def _time_clause(
    published_from: datetime | None, published_to: datetime | None, params: dict[str, Any]
) -> str:
    clause = ""
    if published_from is not None:
        clause += " AND d.published_at >= :published_from"
        params["published_from"] = published_from
    if published_to is not None:
        clause += " AND d.published_at < :published_to"
        params["published_to"] = published_to
    return clause


def _bind_times(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    # Go through the column type so SQLite gets naive UTC and naive values are refused.
    column_type = UTCDateTime()
    dialect = session.get_bind().dialect
    for key in ("published_from", "published_to"):
        if key in params:
            params[key] = column_type.process_bind_param(params[key], dialect)
    return params


def _sqlite_search(
    session: Session,
    query: str,
    *,
    limit: int,
    published_from: datetime | None,
    published_to: datetime | None,
) -> list[SearchHit]:
    params: dict[str, Any] = {"query": query, "limit": limit}
    time_clause = _time_clause(published_from, published_to, params)
    if time_clause:
        sql = (
            "SELECT f.rowid, bm25(developments_fts, 5.0, 3.0, 1.0) AS rank "
            "FROM developments_fts f JOIN developments d ON d.id = f.rowid "
            f"WHERE developments_fts MATCH :query{time_clause} ORDER BY rank LIMIT :limit"
        )
    else:
        sql = (
            "SELECT rowid, bm25(developments_fts, 5.0, 3.0, 1.0) AS rank "
            "FROM developments_fts WHERE developments_fts MATCH :query "
            "ORDER BY rank LIMIT :limit"
        )
    rows = session.connection().execute(text(sql), _bind_times(session, params)).all()
    # bm25() is negative, smaller is better: flip it so higher is better.
    return [SearchHit(development_id=int(r[0]), score=-float(r[1])) for r in rows]


def _pg_search(
    session: Session,
    terms: Sequence[str],
    *,
    match: Literal["all", "any"],
    limit: int,
    published_from: datetime | None,
    published_to: datetime | None,
) -> list[SearchHit]:
    raw = " ".join(_tokens(terms))
    params: dict[str, Any] = {"raw": raw, "limit": limit}
    time_clause = _time_clause(published_from, published_to, params)
    tsquery = (
        "plainto_tsquery('english', :raw)"
        if match == "all"
        else "CAST(replace(plainto_tsquery('english', :raw)::text, ' & ', ' | ') AS tsquery)"
    )
    sql = (
        f"SELECT f.id, ts_rank(f.document, q) AS rank FROM developments_fts f "
        f"JOIN developments d ON d.id = f.id, {tsquery} AS q "
        f"WHERE q <> ''::tsquery AND f.document @@ q{time_clause} "
        "ORDER BY rank DESC, f.id DESC LIMIT :limit"
    )
    rows = session.connection().execute(text(sql), _bind_times(session, params)).all()
    return [SearchHit(development_id=int(r[0]), score=float(r[1])) for r in rows]


def search_developments(
    session: Session,
    *,
    terms: Sequence[str],
    match: Match = "auto",
    limit: int = 50,
    min_hits: int = 5,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
) -> list[SearchHit]:
    """Developments matching `terms`, best first.

    `match="auto"` requires every term first and, when that finds fewer than `min_hits`,
    accepts any term. Terms are plain words or phrases; operators in them are not interpreted.
    """
    if not _tokens(terms):
        return []
    is_sqlite = _dialect(session) == "sqlite"
    modes: list[Literal["all", "any"]] = ["all", "any"] if match == "auto" else [match]
    hits: list[SearchHit] = []
    for mode in modes:
        if is_sqlite:
            query = fts5_query(terms, match=mode)
            hits = _sqlite_search(
                session,
                query,
                limit=limit,
                published_from=published_from,
                published_to=published_to,
            )
        else:
            hits = _pg_search(
                session,
                terms,
                match=mode,
                limit=limit,
                published_from=published_from,
                published_to=published_to,
            )
        if len(hits) >= min_hits or mode == "any":
            break
        if match == "auto" and len(_tokens(terms)) <= 1:
            break
    return hits


def document_frequencies(session: Session, *, terms: Sequence[str]) -> dict[str, int]:
    """How many developments contain each term (counted up to DF_CAP), keyed by the term."""
    counts: dict[str, int] = {}
    is_sqlite = _dialect(session) == "sqlite"
    conn = session.connection()
    for term in dict.fromkeys(terms):
        if is_sqlite:
            phrase = _phrase(term)
            if phrase is None:
                continue
            sql = (
                "SELECT count(*) FROM (SELECT 1 FROM developments_fts "
                "WHERE developments_fts MATCH :q LIMIT :cap)"
            )
            value = conn.execute(text(sql), {"q": phrase, "cap": DF_CAP}).scalar_one()
        else:
            sql = (
                "SELECT count(*) FROM (SELECT 1 FROM developments_fts "
                "WHERE document @@ phraseto_tsquery('english', :q) LIMIT :cap) AS s"
            )
            value = conn.execute(text(sql), {"q": term, "cap": DF_CAP}).scalar_one()
        counts[term] = int(value)
    return counts


def count_developments(session: Session) -> int:
    return int(session.connection().execute(text("SELECT count(*) FROM developments")).scalar_one())


def rebuild_index(session: Session) -> None:
    """Rebuild the index from the developments table (after a bulk load without triggers)."""
    conn = session.connection()
    if _dialect(session) == "sqlite":
        conn.execute(text("INSERT INTO developments_fts(developments_fts) VALUES ('rebuild')"))
        return
    conn.execute(text("DELETE FROM developments_fts"))
    conn.execute(
        text(
            "INSERT INTO developments_fts (id, document) SELECT id, "
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
            "setweight(to_tsvector('english', coalesce(search_text, '')), 'C') "
            "FROM developments"
        )
    )


def optimize_index(session: Session) -> None:
    """Merge FTS5 segments (SQLite); a no-op on PostgreSQL."""
    if _dialect(session) == "sqlite":
        session.connection().execute(
            text("INSERT INTO developments_fts(developments_fts) VALUES ('optimize')")
        )


def latest_developments(
    session: Session,
    *,
    jurisdictions: Sequence[str] = (),
    topics: Sequence[str] = (),
    limit: int = 10,
    scan: int = 2000,
) -> list[Development]:
    """The newest developments (by publication, then first seen), filtered by tags.

    Tags are JSON lists, so the filter runs over the newest `scan` rows in Python, the same
    way on SQLite and PostgreSQL.
    """
    stmt = (
        select(Development)
        .order_by(
            col(Development.published_at).desc().nulls_last(),
            col(Development.first_seen_at).desc(),
        )
        .limit(scan)
    )
    out: list[Development] = []
    wanted_j = set(jurisdictions)
    wanted_t = set(topics)
    for dev in session.exec(stmt):
        if wanted_j and not wanted_j & set(dev.jurisdictions):
            continue
        if wanted_t and not wanted_t & set(dev.topics):
            continue
        out.append(dev)
        if len(out) >= limit:
            break
    return out
