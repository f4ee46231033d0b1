"""Core statements run straight on the driver's cursor: for the few that run for every chat message.

SQLAlchemy compiles a statement once and caches it, but each execution still builds an execution
context and a result object: some 80 µs of Python per statement, more than SQLite or a PostgreSQL
round trip on loopback take for the small statements of the worker's bookkeeping (claim an event,
write the answer's outbox row, mark the event done, mark the reply sent). ``Prepared`` compiles
the statement once per dialect (and, for an INSERT, per set of columns given), applies the
columns' own bind processors exactly as SQLAlchemy would (so values are stored as the ORM stores
them), and executes on the DBAPI cursor of the caller's connection, inside its transaction.

Only plain statements: no ``expanding`` IN lists, no executemany. Values returned (RETURNING, or a
SELECT's columns) go through their columns' result processors too, as SQLAlchemy's would (dates
and times on SQLite, scores as Decimals), and come back as plain tuples.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.elements import ClauseElement

_CURSOR = "ita.fastsql.cursor"  # the driver cursor kept in each DBAPI connection's ``info``


class _Entry(NamedTuple):
    """One statement compiled for one dialect (and, for an INSERT, one set of columns)."""

    sql: str
    static: dict[str, Any]  # every parameter's value when not given: literals bound at compile time, bind-processed
    processors: dict[str, Any]  # bind processors by parameter name
    positions: list[str] | None  # parameter order (positional drivers)
    results: list[Any] | None  # result processors by column (None when no column needs one)
    returns_rows: bool  # RETURNING or a SELECT: fetch after executing


class Prepared:
    """A Core INSERT/UPDATE/DELETE (optionally RETURNING), or a SELECT, executed on the driver."""

    def __init__(self, statement: UpdateBase | ClauseElement) -> None:
        self.statement = statement
        self._insert = isinstance(statement, Insert)
        self._compiled: dict[tuple[str, tuple[str, ...]], _Entry] = {}

    def _prepare(self, dialect: Dialect, keys: tuple[str, ...]) -> _Entry:
        found = self._compiled.get((dialect.name, keys))
        if found is None:
            compiled: Any = self.statement.compile(dialect=dialect, column_keys=list(keys) if self._insert else None)
            processors = dict(compiled._bind_processors)
            static = compiled.construct_params(_check=False)
            for name, value in static.items():  # literals' values, bind-processed once; None for those to be given
                bind = compiled.binds.get(name)
                if bind is None or bind.required:
                    static[name] = None
                elif value is not None and name in processors:
                    static[name] = processors[name](value)
            positions = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            results = [column.type._cached_result_processor(dialect, None) for column in compiled._result_columns]
            found = _Entry(
                compiled.string, static, processors, positions, results if any(results) else None, bool(results)
            )
            self._compiled[(dialect.name, keys)] = found
        return found

    def execute(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """Run in ``connection``'s transaction (begun by the caller); the rows returned, if any."""
        if not connection.in_transaction():
            raise RuntimeError("Prepared.execute needs a transaction begun on the connection")
        entry = self._prepare(connection.dialect, tuple(sorted(params)) if self._insert else ())
        values = dict(entry.static)
        processors = entry.processors
        for name, value in params.items():
            if name in values:
                process = processors.get(name)
                values[name] = value if process is None or value is None else process(value)
        dbapi = connection.connection
        cursor = kept_cursor(dbapi)  # one per DBAPI connection, kept: no new driver cursor per statement
        try:
            cursor.execute(entry.sql, [values[name] for name in entry.positions] if entry.positions is not None else values)
            rows = list(cursor.fetchall()) if entry.returns_rows else []
        except BaseException:
            drop_cursor(dbapi)  # a fresh one next time, whatever state this one is in
            raise
        results = entry.results
        if results is None:
            return rows
        return [
            tuple(value if process is None else process(value) for value, process in zip(row, results, strict=True))
            for row in rows
        ]


# --- PostgreSQL: many rows in one parameter -------------------------------------------------------
# Rows as one JSON document, unpacked by json_populate_recordset(): one round trip, and the SQL text
# is the same whatever the number of rows, so psycopg converts it once and PostgreSQL plans it once
# (a multi-row VALUES list is a new, uncached statement for every batch size; arrays per column cost
# psycopg ~50 µs a row to adapt). Values are JSON-encoded: datetimes must be aware (stored in UTC).


def recordset_insert(table: str, columns: Sequence[str], param: str = "%s", suffix: str = "") -> str:
    """``INSERT INTO table (columns) SELECT columns FROM json_populate_recordset(NULL::table, param)``
    followed by ``suffix`` (ON CONFLICT, RETURNING)."""
    names = ", ".join(columns)
    sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, {param})"
    return f"{sql} {suffix}" if suffix else sql


def recordset_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as ``recordset_insert``'s JSON parameter."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON recordset")


def driver_cursor(connection: Connection) -> Any:
    """The driver cursor ``Prepared`` keeps on ``connection``'s DBAPI connection (made when missing)."""
    return kept_cursor(connection.connection)


def kept_cursor(dbapi: Any) -> Any:
    """The driver cursor kept on a pooled DBAPI connection (made when missing); whoever gets an error
    from it calls ``drop_cursor``."""
    cursor = dbapi.info.get(_CURSOR)
    if cursor is None:
        cursor = dbapi.info[_CURSOR] = dbapi.cursor()
    return cursor


def drop_cursor(dbapi: Any) -> None:
    """Close the kept cursor (after an error: whatever state it is in, the next one is new)."""
    cursor = dbapi.info.pop(_CURSOR, None)
    if cursor is not None:
        cursor.close()
