"""Bulk writes (and reads: `fetch_rows`) for the periodic jobs' hot paths and the scale seeder.

`QuerySet.bulk_create(update_conflicts=True)` and `bulk_update()` resolve every value of every row
through the ORM's expression machinery: about 0.5 ms a row for a 20-column snapshot, and several
ms a row for `bulk_update`'s CASE expressions — minutes at national scale for work the database
does in seconds (docs/performance.md). `upsert()` issues the same INSERT … ON CONFLICT … DO UPDATE
(PostgreSQL and SQLite ≥ 3.24 both speak it). On PostgreSQL the rows travel by COPY into a
temporary table, which the server reads far faster than a statement with thousands of literals;
elsewhere they go as multi-row VALUES with each column adapted by the backend's own adapter."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models, transaction
from django.db.models.query import ValuesListIterable

# Rows per VALUES statement: bounded by SQLite's host-parameter limit (32,766 since 3.32).
MAX_ROWS = 1000
MAX_PARAMETERS = 30_000


# COPY's text format --------------------------------------------------------------------------


def copy_text(value: Any) -> str:
    """One value in COPY's text format (PostgreSQL)."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_line(values: Iterable[Any]) -> str:
    return "\t".join(copy_text(value) for value in values) + "\n"


class LineReader(io.TextIOBase):
    """A file-like object for COPY … FROM STDIN that pulls lines from an iterator as the server
    asks for them, so rows are never all in memory at once. The lines of one read are gathered
    in a list and joined once: growing a string line by line copies it on every line."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._rest = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        size = -1 if size is None else size
        parts, length = [self._rest], len(self._rest)
        while size < 0 or length < size:
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            length += len(line)
        text = "".join(parts)
        if size < 0:
            size = len(text)
        self._rest = text[size:]
        return text[:size]

    def readline(self, size: int = -1, /) -> str:  # type: ignore[override]  # psycopg2 reads
        return self.read(size)


def copy_into(table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """COPY text-format `lines` into `table` (PostgreSQL; names are trusted, from `_meta`)."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, LineReader(iter(lines)))


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return copy_text(text)
    return text


def _copy_converter(field: models.Field) -> Callable[[Any], str]:
    """copy_text specialised for one column's type: the type tests are made once per column, not
    once per value (the upsert formats hundreds of thousands of values a scan)."""
    if isinstance(field, models.BooleanField):
        return lambda value: r"\N" if value is None else ("t" if value else "f")
    if isinstance(field, (models.IntegerField, models.ForeignKey)):
        return lambda value: r"\N" if value is None else str(value)
    if isinstance(field, (models.DateField, models.DateTimeField)):
        convert = _isoformat
    elif isinstance(field, models.JSONField):
        # orjson: the scan writes three JSON documents a partner, and the standard library's
        # encoder took 4.4 s of a national scan for what orjson does in 0.3 s. Dates, times
        # and whatever orjson does not know go to the column's encoder, as with json.dumps.
        default = (field.encoder or json.JSONEncoder)().default
        options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

        # Not memoised: a JSON value is each row's own (the scan's trend and reasons), and a
        # value rows share comes in a Row's shared part, formatted once per row group anyway.
        def converted_json(value):
            if value is None:
                return r"\N"
            return _escape(orjson.dumps(value, default=default, option=options).decode())

        return converted_json
    else:
        convert = copy_text
    return _memoised_by_identity(convert)


def _isoformat(value) -> str:
    return value.isoformat()


def _memoised_by_identity(convert: Callable[[Any], str]) -> Callable[[Any], str]:
    """Rows often share one object (the scan date, the time of the scan, a components dict that
    several partners with equal figures share): format each object once. Keyed by identity, which
    is sound while the rows, and so the objects, are alive: for the duration of one upsert."""
    seen: dict[int, str] = {}

    def converted(value) -> str:
        if value is None:
            return r"\N"
        key = id(value)
        text = seen.get(key)
        if text is None:
            text = seen[key] = convert(value)
        return text

    return converted


# Upsert --------------------------------------------------------------------------------------


class Row(NamedTuple):
    """A row to upsert in two parts: its own values, and values it shares with other rows — the
    same dict object, left unchanged for the duration of the upsert (the scan's partners with
    equal figures share one). On PostgreSQL the shared part is formatted once per dict."""

    own: dict[str, Any]
    shared: dict[str, Any]

    def merged(self) -> dict[str, Any]:
        return {**self.own, **self.shared}


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How the backend adapts a Python value of `field` for a query (None: as it is)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    if isinstance(field, models.JSONField):
        # JSON text: both backends store a JSON column from a plain string parameter.
        return functools.partial(json.dumps, cls=field.encoder)
    return None


def upsert(
    model: type[models.Model],
    rows: Iterable[Any],  # dicts keyed by attname, or Rows
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    compare: Sequence[str] = (),
    method: str | None = None,
) -> int:
    """INSERT `rows` (dicts keyed by field attname, every row with the same keys) into `model`'s
    table; a row that collides on the `conflict` columns updates the `update` columns instead —
    only when one of the `compare` columns differs, if any are named. Returns the number of rows
    inserted or updated. Defaults, `auto_now` and signals are not applied: give every NOT NULL
    column a value. Rows may be given as `Row`s (all of them, each with the same keys in each
    part). `method` ("copy" or "values") forces a path (tests)."""
    rows = list(rows)
    if not rows:
        return 0
    method = method or ("copy" if connection.vendor == "postgresql" else "values")
    if isinstance(rows[0], Row) and method != "copy":
        rows = [row.merged() for row in rows]
    first = rows[0]
    names = [*first.own, *first.shared] if isinstance(first, Row) else list(first)
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    target = (
        f"({', '.join(quote(_column(model, name)) for name in conflict)})"
        " DO UPDATE SET "
        + ", ".join(
            f"{quote(column)} = EXCLUDED.{quote(column)}"
            for column in (_column(model, name) for name in update)
        )
    )
    table = quote(model._meta.db_table)
    if compare:
        compared = [quote(_column(model, name)) for name in compare]
        distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        target += (
            f" WHERE ({', '.join(f'{table}.{c}' for c in compared)}) {distinct} "
            f"({', '.join(f'EXCLUDED.{c}' for c in compared)})"
        )
    if method == "copy":
        return _upsert_by_copy(table, names, fields, columns, target, rows)
    return _upsert_by_values(table, names, fields, columns, target, rows)


def _copy_to_staging(cursor, staging: str, table: str, column_list: str, lines) -> None:
    """A temporary table `staging` with `table`'s column types for `column_list` and no
    constraints, filled by COPY with `lines`; dropped with the transaction or by the next write
    that makes it. Two statements a round trip: the scan's query budget counts them."""
    cursor.execute(
        f"DROP TABLE IF EXISTS {staging}; "  # noqa: S608 - names from _meta, quoted
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
        f"SELECT {column_list} FROM {table} WITH NO DATA"
    )
    cursor.copy_expert(f"COPY {staging} ({column_list}) FROM STDIN", LineReader(iter(lines)))


def _upsert_by_copy(table, names, fields, columns, target, rows) -> int:
    staging = connection.ops.quote_name("collabhub_upsert_staging")
    column_list = ", ".join(columns)
    # No savepoint: the statements fail or succeed together with the caller's transaction.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        converters = [
            (name, _copy_converter(field)) for name, field in zip(names, fields, strict=True)
        ]
        if isinstance(rows[0], Row):
            lines = _shared_lines(rows, converters)
        else:
            lines = (
                "\t".join([convert(row[name]) for name, convert in converters]) + "\n"
                for row in rows
            )
        _copy_to_staging(cursor, staging, table, column_list, lines)
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) "  # noqa: S608
            f"SELECT {column_list} FROM {staging} ON CONFLICT {target}"
        )
        return cursor.rowcount


def _shared_lines(rows: list[Row], converters) -> Iterator[str]:
    """COPY lines of `Row`s: each row's own values, then its shared part's text, formatted once
    per shared dict (keyed by identity: the rows, and so the dicts, live through the upsert)."""
    own = converters[: len(rows[0].own)]
    shared = converters[len(rows[0].own) :]
    texts: dict[int, str] = {}
    for row in rows:
        text = texts.get(id(row.shared))
        if text is None:
            text = texts[id(row.shared)] = "\t".join(
                [convert(row.shared[name]) for name, convert in shared]
            )
        yield "\t".join([convert(row.own[name]) for name, convert in own]) + "\t" + text + "\n"


def _upsert_by_values(table, names, fields, columns, target, rows) -> int:
    adapters = [(index, adapt) for index, f in enumerate(fields) if (adapt := _adapter(f))]
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, min(MAX_ROWS, MAX_PARAMETERS // len(columns)))
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                values = [row[name] for name in names]
                for index, adapt in adapters:
                    if values[index] is not None:
                        values[index] = adapt(values[index])
                params.extend(values)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"VALUES {', '.join([row_placeholder] * len(chunk))} ON CONFLICT {target}",
                params,
            )
            written += cursor.rowcount
    return written


def _column(model: type[models.Model], name: str) -> str:
    return getattr(model._meta.get_field(name), "column", None) or name


# Update by primary key -----------------------------------------------------------------------


def update_by_pk(
    model: type[models.Model],
    objects: Sequence[models.Model],
    fields: Sequence[str],
    *,
    method: str | None = None,
) -> int:
    """Write `fields` of `objects` (instances of `model`, already saved) by primary key, like
    `QuerySet.bulk_update(objects, fields)` without its per-value CASE expressions: 3,000 flags
    took 2.4 s of ORM expression building in bulk_update, 30 ms here (docs/performance.md). On
    PostgreSQL the values travel by COPY into a temporary table and one UPDATE … FROM reads
    them; elsewhere one UPDATE per row, sent with executemany. No signals, no auto_now: give
    every field to write. Returns the number of rows updated. `method` ("copy" or "rows")
    forces a path (tests)."""
    if not objects:
        return 0
    method = method or ("copy" if connection.vendor == "postgresql" else "rows")
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk: Any = meta.pk
    written: list[Any] = [meta.get_field(name) for name in fields]
    if method == "copy":
        staging = quote("collabhub_update_staging")
        columns = [quote(pk.column), *(quote(field.column) for field in written)]
        column_list = ", ".join(columns)
        converters = [_copy_converter(pk), *(_copy_converter(field) for field in written)]
        attnames = [pk.attname, *(field.attname for field in written)]
        lines = (
            "\t".join(
                [
                    convert(getattr(obj, attname))
                    for attname, convert in zip(attnames, converters, strict=True)
                ]
            )
            + "\n"
            for obj in objects
        )
        assignments = ", ".join(f"{c} = s.{c}" for c in columns[1:])
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            _copy_to_staging(cursor, staging, table, column_list, lines)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {staging} s "  # noqa: S608
                f"WHERE {table}.{columns[0]} = s.{columns[0]}"
            )
            return cursor.rowcount
    adapters = [_adapter(field) for field in written]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in written)
    params = []
    for obj in objects:
        values = []
        for field, adapt in zip(written, adapters, strict=True):
            value = getattr(obj, field.attname)
            values.append(adapt(value) if adapt is not None and value is not None else value)
        params.append([*values, obj.pk])
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s",  # noqa: S608
            params,
        )
        return cursor.rowcount


# Reads ---------------------------------------------------------------------------------------


def fetch_rows(queryset) -> list[tuple]:
    """The rows of a `values_list()` queryset, as tuples, in one fetch. On PostgreSQL straight
    from the driver: psycopg2 already returns the Python types asked for (int, bool, str, date,
    aware datetime), and the ORM's per-value converters — a function call for every TruncDate
    or Count value, on rows it fetches 100 at a time and copies into lists — are pure overhead:
    1.3 million rows through the scan's trend and reporting reads at national scale, about 2 s
    of a 37 s scan. Not for JSON or decimal columns (the backend's converters do real work
    there), nor elsewhere (SQLite returns dates as text): there, and for any other queryset,
    the queryset itself."""
    query = queryset.query
    # Taken as they come only when the SELECT's own order (extra, plain columns, annotations)
    # is the order asked for. Django 5.2 already writes the SELECT in that order (Query.selected;
    # tests/benchmarks/test_bulk.py checks it); the guard keeps any other case on the ORM path.
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [*queryset._fields, *(f for f in query.annotation_select if f not in queryset._fields)]
    database = connections[queryset.db]
    if (
        database.vendor != "postgresql"
        or queryset._iterable_class is not ValuesListIterable
        or fields != names
    ):
        return [tuple(row) for row in queryset]
    try:
        sql, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
