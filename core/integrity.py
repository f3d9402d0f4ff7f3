"""What a database IntegrityError was about, in words a caller can act on: the field that
conflicts with a row written by someone else meanwhile (a unique or check constraint), so the API
answers 409 naming it and a page shows it as a form error — never a 500."""

from __future__ import annotations

import re
from functools import cache

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError

# PostgreSQL names the constraint; SQLite lists the columns ("UNIQUE constraint failed: t.a, t.b")
# or the check's name ("CHECK constraint failed: name").
_NAMED = re.compile(r'constraint "?([A-Za-z0-9_]+)"?')
_COLUMNS = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


# The field a check constraint is about, when its name alone does not say.
CHECK_FIELDS = {
    "collaboration_end_after_start": "planned_end_date",
    "participation_left_after_joined": "left_on",
    "agreement_expiry_after_effective": "expiry_date",
    "obligation_quantity_not_negative": "quantity",
    "obligation_met_has_met_at": "status",
}


@cache
def _constraint_fields() -> dict[str, str]:
    """Each constraint's name (and each unique column pair's text) → the field to name: the
    last field of a unique constraint (participation: organisation, measurement: period_end)."""
    named: dict[str, str] = {}
    for model in apps.get_models():
        table = model._meta.db_table
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", ()) or ())
            if isinstance(constraint, models.UniqueConstraint) and fields:
                field = fields[-1]
                named[constraint.name] = field
                columns = ", ".join(f"{table}.{_column(model, f)}" for f in fields)
                named[columns] = field
            elif isinstance(constraint, models.CheckConstraint):
                field = CHECK_FIELDS.get(constraint.name)
                if field:
                    named[constraint.name] = field
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                named[f"{table}.{field.column}"] = field.name
                named[f"{table}_{field.column}_key"] = field.name
    return named


def integrity_field(exc: Exception) -> str | None:
    """The field an IntegrityError is about, when the constraint is one of ours."""
    text = str(exc)
    known = _constraint_fields()
    match = _COLUMNS.search(text)
    if match and match.group(1).strip() in known:
        return known[match.group(1).strip()]
    for name in _NAMED.findall(text):
        if name in known:
            return known[name]
    if "CHECK constraint failed:" in text:
        name = text.split("CHECK constraint failed:", 1)[1].strip()
        return known.get(name)
    return None


def integrity_conflict(exc: Exception) -> DomainError:
    """A DomainError (code "conflict": a 409) for an IntegrityError."""
    field = integrity_field(exc)
    return DomainError(
        _(
            "This conflicts with a change saved meanwhile (someone else, or a repeated "
            "request). Reload to see the current data, then try again."
        ),
        field=field,
        code="conflict",
    )


def _column(model, name: str) -> str:
    return getattr(model._meta.get_field(name), "column", None) or name
