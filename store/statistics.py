"""Keep PostgreSQL's planner statistics in step with a bulk load.

Autovacuum analyzes a table once a tenth of it has changed, but only on its next round (a
minute apart by default), and not at all where it is switched off. A first poll grows `items`
and `developments` from nothing to thousands of rows in seconds, so the planner kept planning
them as nearly empty: each lookup of a source's entries by URL became a sequential scan
(measured: 2.5 ms a call at 10,000 items, growing with the table), and the search's document
frequencies (`store.search`, from `pg_stats`) were missing. `PlannerStatistics` runs ANALYZE
whenever the rows written since the last one reach the number the planner knows of (and at
least `MIN_ROWS`): a few times in a bulk load, each some milliseconds, and never for a poll that
stores a handful of items. SQLite plans these queries by their indexes alone: nothing to do.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# What a poll writes in bulk (the search index table is filled by a trigger).
BULK_TABLES = ("items", "developments", "developments_fts")


def row_estimate(engine: Engine, table: str) -> float:
    """The planner's row count of `table` (0 when never analyzed; 0 on other backends)."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)"),
            {"table": table},
        ).scalar()
    return max(float(value or 0.0), 0.0)  # -1 means "never analyzed" on PostgreSQL 14+


def analyze(engine: Engine, tables: tuple[str, ...] = BULK_TABLES) -> None:
    """ANALYZE `tables` (PostgreSQL; nothing elsewhere)."""
    if engine.dialect.name != "postgresql":
        return
    unknown = set(tables) - set(BULK_TABLES)
    if unknown:  # names go into the statement: only ours
        raise ValueError(f"not a table this module analyzes: {sorted(unknown)}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE " + ", ".join(tables)))


class PlannerStatistics:
    """Counts the items a job writes and analyzes the bulk tables when they have grown."""

    MIN_ROWS = 1000

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.known: float | None = None  # rows the planner knew of at the last ANALYZE
        self.written = 0  # rows written since
        self.runs = 0

    def wrote(self, rows: int) -> None:
        """`rows` new items are committed; analyze if the tables outgrew their statistics."""
        if self.engine is None or rows <= 0:
            return
        try:
            if self.known is None:
                self.known = row_estimate(self.engine, "items")
            self.written += rows
            if self.written < max(self.MIN_ROWS, self.known):
                return
            analyze(self.engine)
        except (SQLAlchemyError, OSError) as exc:  # an optimisation: never fail a poll
            log.warning("could not refresh planner statistics (%s); leaving it to autovacuum", exc)
            self.engine = None
            return
        self.runs += 1
        self.known = (self.known or 0.0) + self.written
        self.written = 0
