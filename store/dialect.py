"""What differs between the two supported databases, in one place.

- `upsert_insert`: the INSERT that knows ON CONFLICT (PostgreSQL's and SQLite's constructs
  differ in SQLAlchemy, the SQL they send does not).
- `process_identity`: who holds a claim or a lease: host, pid and (per run) a random suffix,
  so two processes (or two runs in one process) never take each other's claims for their own.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

IDENTITY_MAX = 100  # the claim columns' length


def upsert_insert(session: Session, table: Any) -> Any:
    """`INSERT INTO table` with `on_conflict_do_nothing/do_update` for this session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(f"policybot needs SQLite or PostgreSQL, not {dialect}")


def process_identity(*, per_run: bool = True) -> str:
    """Who holds a claim: host and pid, plus a random suffix unique to this run (`per_run`).

    Without the suffix the identity is the same for every call in the process, for claims
    that one step makes and a later step of the same process renews (alert batches).
    """
    process = f"{socket.gethostname()[:60]}:{os.getpid()}"
    return (f"{process}:{uuid.uuid4().hex[:8]}" if per_run else process)[:IDENTITY_MAX]
