"""Writing with PostgreSQL's COPY: straight into the tables, sequences synced after."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction

from core.bulk import copy_into, copy_line

# Writing with COPY -----------------------------------------------------------------------------


@contextmanager
def _loading(table: str):
    """Drop the table's foreign keys and plain indexes for the load and put them back after: one
    validating join and one index build each, instead of a check and an index update per row.
    Unique constraints stay. Run inside a transaction, so a failed load leaves them all."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary",
            [table],
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        yield
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def copy_rows(model, columns: list[str], rows: Iterable[tuple], progress=None) -> int:
    """COPY `rows` (tuples in the order of `columns`, which are column names) into the model's
    table in one transaction. Every NOT NULL column must be given."""
    table = model._meta.db_table
    required = {f.column for f in model._meta.concrete_fields if not f.null}
    missing = required - set(columns)
    if missing:
        raise ValueError(f"{table}: no value for NOT NULL columns {sorted(missing)}")
    written = 0

    def lines():
        nonlocal written
        for row in rows:
            written += 1
            if progress is not None and written % 10_000 == 0:
                progress(10_000)
            yield copy_line(row)

    with transaction.atomic(), _loading(table):
        copy_into(table, columns, lines())
    if progress is not None:
        progress(written % 10_000)
    return written


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] + 1


def sync_sequences(models) -> None:
    """Move each table's identity sequence past the identifiers COPY wrote."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)",
                [table],
            )


def reset_domain() -> None:
    """Empty every table of the three apps and their users (benchmark databases only)."""
    tables = [
        model._meta.db_table
        for label in ("partners", "agreements", "commissioner")
        for model in apps.get_app_config(label).get_models()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
