"""Row locks for read-modify-write services, taken in one order (docs/concurrency.md).

Every service that reads a row, decides and writes locks what it changes first, re-reads it
inside the lock and saves only the fields it changed. Two transactions that lock rows of the
same collaboration always take them in LOCK_ORDER, so they queue instead of deadlocking:

    organisation → collaboration → agreement → participation → signatory / obligation /
    goal → measurement / meeting → attendance / flag → intervention

Locks are FOR NO KEY UPDATE: they serialise the services with each other but do not
block other transactions inserting child rows that merely reference the locked row (their
foreign-key check takes FOR KEY SHARE). On SQLite, which has no row locks, every transaction is
IMMEDIATE (collabhub/settings/base.py): the whole database is the lock, taken at BEGIN."""

from __future__ import annotations

from typing import TypeVar

from django.db import connection, models, transaction

from .translated import stored_fields

M = TypeVar("M", bound=models.Model)

LOCK_ORDER: tuple[str, ...] = (
    "partners.organisation",
    "partners.contact",
    "agreements.collaboration",
    "agreements.agreement",
    "agreements.participation",
    "agreements.signatory",
    "agreements.obligation",
    "agreements.sharedgoal",
    "agreements.measurement",
    "commissioner.meeting",
    "commissioner.attendance",
    "commissioner.flag",
    "commissioner.intervention",
)
_RANK = {label: rank for rank, label in enumerate(LOCK_ORDER)}


def rank(model: type[models.Model]) -> int:
    """Where `model` stands in LOCK_ORDER: a service locks lower ranks first."""
    return _RANK[model._meta.label_lower]


def lock(model: type[M], pk, *, related: tuple[str, ...] = ()) -> M:
    """The row `pk` of `model`, locked for the rest of the transaction and read afresh.
    Raises model.DoesNotExist when it is gone."""
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("lock() needs a transaction")
    queryset = model._default_manager.select_for_update(no_key=True, of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def lock_many(model: type[M], pks) -> list[M]:
    """Several rows of one model, locked in primary-key order (so two callers agree)."""
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("lock_many() needs a transaction")
    return list(
        model._default_manager.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=list(pks))
        .order_by("pk")
    )


def copy_row(target: models.Model, source: M) -> M:
    """Give `target` (the caller's instance) the values of `source` (the row re-read inside the
    lock and saved), without a query, so a caller that keeps using its own instance sees what
    was written. Returns `source`."""
    if target is not source:
        # A translated field's language columns, not its original column (core/translated.py).
        for field in stored_fields(type(source)):
            setattr(target, field.attname, getattr(source, field.attname))
    return source
