"""Full-text search over developments (title, summary, search_text).

SQLite: the FTS5 table `developments_fts` (migration 0003), ranked with `bm25()` weighted
title 5 : summary 3 : text 1. The query is tried with every term required first and falls back
to any term when that finds too few (measured best of the options tried; see README "Benchmarks").
PostgreSQL: the weighted `tsvector` in `developments_fts` with a GIN index, ranked with
`ts_rank`; PostgreSQL tokenises the terms itself and the terms are OR-ed.

Scores are "higher is better" on both backends but are not comparable between them or
between queries; callers normalise them per query.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, text
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from store.models import Development
from store.types import UTCDateTime

Match = Literal["all", "any", "auto"]

# A term is kept as a run of letters/digits; everything else is a separator for FTS5.
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Caps how many rows a document-frequency count reads: rarer terms are what matter.
DF_CAP = 2000
# The index a filtered search reads each match's publication date and tags from (migration
# 0008): small rows, so a search with a window or a jurisdiction does not read the table's.
FILTER_INDEX = "ix_developments_search_filters"


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


def fts5_query(
    terms: Sequence[str] = (),
    *,
    match: Literal["all", "any"],
    groups: Sequence[Sequence[str]] = (),
) -> str:
    """An FTS5 MATCH string: every term quoted (no operator injection).

    `groups` are alternatives ("chip" or "semiconductor"): with `match="all"` every group must
    match (AND of ORs); with `"any"` one term of any group is enough.
    """
    all_groups = [*([t] for t in terms), *groups]
    quoted = [list(dict.fromkeys(p for p in (_phrase(t) for t in g) if p)) for g in all_groups]
    quoted = [g for g in quoted if g]
    if match == "any":
        return " OR ".join(dict.fromkeys(p for g in quoted for p in g))
    parts = [g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in quoted]
    return " AND ".join(dict.fromkeys(parts))


def _filters(
    published_from: datetime | None,
    published_to: datetime | None,
    jurisdictions_any: Sequence[str],
    params: dict[str, Any],
    *,
    json_as_text: str,
    ids_between: tuple[int, int] | None = None,
) -> str:
    clause = ""
    if ids_between is not None:
        # On the index's own key, so the index reads only that stretch of each term's list.
        clause += " AND f.rowid BETWEEN :id_lo AND :id_hi"
        params["id_lo"], params["id_hi"] = ids_between
    if published_from is not None:
        clause += " AND d.published_at >= :published_from"
        params["published_from"] = published_from
    if published_to is not None:
        clause += " AND d.published_at < :published_to"
        params["published_to"] = published_to
    if jurisdictions_any:
        # Tags are a JSON list of codes: '["NL", "US"]'. A quoted code cannot match another.
        ors = []
        for n, code in enumerate(jurisdictions_any):
            params[f"j{n}"] = f'%"{code}"%'
            ors.append(f"{json_as_text} LIKE :j{n}")
        clause += " AND (" + " OR ".join(ors) + ")"
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
    session: Session, query: str, *, limit: int, filters: str, params: dict[str, Any]
) -> list[SearchHit]:
    params = {**params, "query": query, "limit": limit}
    if filters:
        sql = (
            "SELECT f.rowid, bm25(developments_fts, 5.0, 3.0, 1.0) AS rank "
            f"FROM developments_fts f JOIN developments d INDEXED BY {FILTER_INDEX} "
            "ON d.id = f.rowid "
            f"WHERE developments_fts MATCH :query{filters} ORDER BY rank LIMIT :limit"
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


def _pg_tsquery(
    groups: Sequence[Sequence[str]], match: Literal["all", "any"], params: dict[str, Any]
) -> str:
    if match == "any":
        params["raw"] = " ".join(_tokens([t for g in groups for t in g]))
        return "CAST(replace(plainto_tsquery('english', :raw)::text, ' & ', ' | ') AS tsquery)"
    ands = []
    for i, group in enumerate(groups):
        ors = []
        for j, form in enumerate(group):
            params[f"g{i}_{j}"] = form
            ors.append(f"plainto_tsquery('english', :g{i}_{j})")
        ands.append("(" + " || ".join(ors) + ")")
    return " && ".join(ands)


def _pg_search(
    session: Session,
    groups: Sequence[Sequence[str]],
    *,
    match: Literal["all", "any"],
    limit: int,
    filters: str,
    params: dict[str, Any],
) -> list[SearchHit]:
    params = {**params, "limit": limit}
    tsquery = _pg_tsquery(groups, match, params)
    sql = (
        "SELECT f.id, ts_rank(f.document, qq.q) AS rank FROM developments_fts f "
        f"JOIN developments d ON d.id = f.id, (SELECT {tsquery} AS q) AS qq "
        f"WHERE qq.q <> ''::tsquery AND f.document @@ qq.q{filters} "
        "ORDER BY rank DESC, f.id DESC LIMIT :limit"
    )
    rows = session.connection().execute(text(sql), _bind_times(session, params)).all()
    return [SearchHit(development_id=int(r[0]), score=float(r[1])) for r in rows]


def search_developments(
    session: Session,
    *,
    terms: Sequence[str] = (),
    groups: Sequence[Sequence[str]] = (),
    match: Match = "auto",
    limit: int = 50,
    min_hits: int = 5,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    jurisdictions_any: Sequence[str] = (),
    ids_between: tuple[int, int] | None = None,
) -> list[SearchHit]:
    """Developments matching `terms` (each one) and `groups` (one form of each), best first.

    `match="auto"` requires every term and group first and, when that finds fewer than
    `min_hits`, accepts any. Terms are plain words or phrases; operators in them are not
    interpreted. `jurisdictions_any` keeps developments tagged with at least one of the codes;
    `ids_between` (lowest, highest id) only narrows where the index looks (see
    `published_between`), it must hold every development the other filters keep.
    """
    all_groups = [list(g) for g in (*([t] for t in terms), *groups) if _tokens(list(g))]
    if not all_groups:
        return []
    is_sqlite = _dialect(session) == "sqlite"
    params: dict[str, Any] = {}
    filters = _filters(
        published_from,
        published_to,
        jurisdictions_any,
        params,
        json_as_text="d.jurisdictions" if is_sqlite else "CAST(d.jurisdictions AS TEXT)",
        ids_between=ids_between,
    )
    if not is_sqlite:
        filters = filters.replace("f.rowid", "f.id")
    modes: list[Literal["all", "any"]] = ["all", "any"] if match == "auto" else [match]
    if match == "auto" and len(all_groups) == 1:
        modes = ["any"]
    hits: list[SearchHit] = []
    for mode in modes:
        if is_sqlite:
            query = fts5_query(match=mode, groups=all_groups)
            hits = _sqlite_search(session, query, limit=limit, filters=filters, params=params)
        else:
            hits = _pg_search(
                session, all_groups, match=mode, limit=limit, filters=filters, params=params
            )
        if len(hits) >= min_hits:
            break
    return hits


# A time window holding more developments than this gets no id span (see published_between).
SPAN_CAP = 5000


@dataclass(frozen=True)
class PublishedSpan:
    """The developments published in a time window: how many, and their lowest and highest id."""

    count: int
    ids_between: tuple[int, int] | None


def published_between(
    session: Session, start: datetime | None, end: datetime | None
) -> PublishedSpan:
    """How many developments were published in [start, end), and the span of their ids.

    Read from the publication-date index alone (ids are in it), so a week's or a month's
    developments cost a short index scan; a full-text search in the window can then skip the
    index's lists outside that span, and be skipped when the window is empty. A window holding
    more than SPAN_CAP developments is not read to its end: its count is SPAN_CAP + 1 and it has
    no span (finding the span would cost more than it saves a search that reads the dates).
    """
    params: dict[str, Any] = {"cap": SPAN_CAP + 1}
    where = _filters(start, end, (), params, json_as_text="d.jurisdictions")
    sql = (
        "SELECT count(*), min(id), max(id) FROM (SELECT id FROM developments d "
        f"WHERE 1 = 1{where} LIMIT :cap) AS w"
    )
    count, lowest, highest = (
        session.connection().execute(text(sql), _bind_times(session, params)).one()
    )
    if not count or lowest is None or highest is None:
        return PublishedSpan(0, None)
    if count > SPAN_CAP:
        return PublishedSpan(int(count), None)
    return PublishedSpan(int(count), (int(lowest), int(highest)))


def document_frequencies(session: Session, *, terms: Sequence[str]) -> dict[str, int]:
    """How many developments contain each term (counted up to DF_CAP), keyed by the term."""
    if _dialect(session) != "sqlite":
        return _pg_document_frequencies(session, terms=terms)
    phrases = {t: p for t in dict.fromkeys(terms) if (p := _phrase(t)) is not None}
    if not phrases:
        return {}
    # One statement for all the terms: a question has a dozen forms, each a short index read.
    params: dict[str, Any] = {"cap": DF_CAP}
    counts_sql = []
    for n, phrase in enumerate(phrases.values()):
        params[f"q{n}"] = phrase
        counts_sql.append(
            "(SELECT count(*) FROM (SELECT 1 FROM developments_fts "
            f"WHERE developments_fts MATCH :q{n} LIMIT :cap))"
        )
    row = session.connection().execute(text("SELECT " + ", ".join(counts_sql)), params).one()
    return {term: int(count) for term, count in zip(phrases, row, strict=True)}


# PostgreSQL cannot stop a GIN bitmap scan early, so counting a common word's documents reads
# all of them. ANALYZE already keeps the frequency of the most common lexemes of the tsvector
# column (pg_stats.most_common_elems): those are read from there (cached a few minutes per
# database), and only rarer words, which the index finds quickly, are counted.
_PG_STATS_TTL_SECONDS = 300.0
PG_STATS_MIN_DEVELOPMENTS = 5000
_pg_stats_cache: dict[str, tuple[float, dict[str, float]]] = {}


def _pg_common_lexemes(session: Session) -> dict[str, float]:
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _pg_stats_cache.get(key)
    if cached is not None and now - cached[0] < _PG_STATS_TTL_SECONDS:
        return cached[1]
    row = (
        session.connection()
        .execute(
            text(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs "
                "FROM pg_stats WHERE tablename = 'developments_fts' AND attname = 'document' "
                "AND schemaname = current_schema()"
            )
        )
        .first()
    )
    freqs: dict[str, float] = {}
    if row is not None and row[0] is not None and row[1] is not None:
        freqs = {str(lex): float(f) for lex, f in zip(row[0], row[1], strict=False)}
    _pg_stats_cache[key] = (now, freqs)
    return freqs


def _pg_document_frequencies(session: Session, *, terms: Sequence[str]) -> dict[str, int]:
    conn = session.connection()
    forms = list(dict.fromkeys(terms))
    if not forms:
        return {}
    total = count_developments(session)
    # Small stores count exactly (cheap there); estimates are for where counting is slow.
    common = _pg_common_lexemes(session) if total >= PG_STATS_MIN_DEVELOPMENTS else {}
    lexemes = conn.execute(
        text(
            "SELECT f, ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', f))) "
            "FROM unnest(CAST(:forms AS text[])) AS f"
        ),
        {"forms": forms},
    ).all()
    counts: dict[str, int] = {}
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM developments_fts "
        "WHERE document @@ phraseto_tsquery('english', :q) LIMIT :cap) AS s"
    )
    for form, lexes in lexemes:
        lexes = list(lexes or [])
        if lexes and all(lx in common for lx in lexes):
            # A phrase is at most as frequent as its rarest word.
            counts[form] = min(DF_CAP, int(min(common[lx] for lx in lexes) * total))
            continue
        counts[form] = int(conn.execute(text(sql), {"q": form, "cap": DF_CAP}).scalar_one())
    return counts


# What ranking and citing a development read; its other columns (the evidence, above all, which
# can be long) are loaded only if something reads them, one query per development.
ANSWER_COLUMNS = (
    "id",
    "title",
    "summary",
    "search_text",
    "jurisdictions",
    "topics",
    "importance",
    "published_at",
    "relevant",
)
# Built once: an answer loads its candidates with every question.
_BY_ID = (
    select(Development)
    .options(load_only(*(getattr(Development, name) for name in ANSWER_COLUMNS)))
    .where(col(Development.id).in_(bindparam("ids", expanding=True)))
)


def developments_by_id(session: Session, ids: Sequence[int]) -> list[Development]:
    """The developments with these ids (in no particular order), with `ANSWER_COLUMNS` read."""
    if not ids:
        return []
    return list(session.exec(_BY_ID, params={"ids": list(ids)}).all())


def count_developments(session: Session) -> int:
    """How many developments the store holds: an index lookup, not a scan of 100k rows.

    Ids only grow and developments are not deleted in normal operation, so the largest id is
    the count; idf weights need only its order of magnitude anyway.
    """
    value = session.connection().exec_driver_sql("SELECT max(id) FROM developments").scalar_one()
    return int(value or 0)


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
