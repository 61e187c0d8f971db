"""Batched INSERTs that return the new rows' ids in parameter order, on SQLite and PostgreSQL,
and batched UPDATEs of rows by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, func, insert, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel


def insert_returning_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """INSERT the rows in one batch; their new ids in the same order.

    On SQLite the caller's transaction must hold the write lock from its start (BEGIN
    IMMEDIATE, as every `store.db` session does): the ids are then allocated here.
    """
    if not rows:
        return []
    # Core, not the ORM's bulk path: the same SQL, without per-row mapping work.
    table = _table_of(model)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # SQLite cannot return ids in parameter order from one multi-row INSERT, so
        # SQLAlchemy would send one INSERT per row. The transaction holds the write lock, so
        # the ids SQLite would give (one past the largest) are ours to write: one executemany.
        newest = connection.execute(sa_select(func.max(table.c.id))).scalar_one_or_none()
        first = int(newest or 0) + 1
        ids = list(range(first, first + len(rows)))
        connection.execute(
            insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
        )
        return ids
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in connection.execute(statement, rows).scalars()]


def update_by_id(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """UPDATE each row (an "id" and the same other columns in every row) in one executemany.

    Core, not the ORM's bulk UPDATE, which maps every row through the ORM state first.
    Objects of `model` in the session are not refreshed: for rows it does not hold.
    """
    if not rows:
        return
    table = _table_of(model)
    columns = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in columns})
    )
    session.connection().execute(
        statement, [{"row_id": row["id"], **{name: row[name] for name in columns}} for row in rows]
    )


def _table_of(model: type[SQLModel]) -> Table:
    table = sa_inspect(model).local_table  # type: ignore[union-attr]
    assert isinstance(table, Table)
    return table
