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

from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.sql.elements import ClauseElement

# SQL text, the compiled statement, bind processors by name, parameter order (positional drivers),
# result processors by column (None when no column needs one)
_Entry = tuple[str, Any, dict[str, Any], list[str] | None, list[Any] | None]


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
            positions = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            results = [column.type._cached_result_processor(dialect, None) for column in compiled._result_columns]
            found = (compiled.string, compiled, processors, positions, results if any(results) else None)
            self._compiled[(dialect.name, keys)] = found
        return found

    def execute(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """Run in ``connection``'s transaction (begun by the caller); the rows returned, if any."""
        if not connection.in_transaction():
            raise RuntimeError("Prepared.execute needs a transaction begun on the connection")
        sql, compiled, processors, positions, results = self._prepare(
            connection.dialect, tuple(sorted(params)) if self._insert else ()
        )
        values = compiled.construct_params(params)
        for name, process in processors.items():
            if name in values and values[name] is not None:
                values[name] = process(values[name])
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, [values[name] for name in positions] if positions is not None else values)
            rows = list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()
        if results is None:
            return rows
        return [
            tuple(value if process is None else process(value) for value, process in zip(row, results, strict=True))
            for row in rows
        ]
