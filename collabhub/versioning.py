"""A row's version, for optimistic concurrency: the API's ETag / If-Match and the hidden
`version` of HTML edit forms. A hash of the row's stored values, so any saved change (by any
path) gives a new version, with no counter column to keep in step."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError

STALE = "stale"


def row_version(instance: models.Model) -> str:
    values = "\x1f".join(
        f"{field.attname}={field.value_to_string(instance)}"
        for field in instance._meta.concrete_fields
    )
    return hashlib.sha256(values.encode()).hexdigest()[:20]


def etag(instance: models.Model) -> str:
    return f'"{row_version(instance)}"'


def version_from_if_match(header: str | None) -> str | None:
    """The version an `If-Match` header asks for; None when there is none (or `*`)."""
    if not header:
        return None
    value = header.split(",")[0].strip()
    if value == "*":
        return None
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def check_version(instance: models.Model, expected: str | None) -> None:
    """Refuse a write made against an older version of `instance` (read inside the lock)."""
    if expected and expected != row_version(instance):
        raise DomainError(
            _(
                "This changed since you opened it: someone else saved it meanwhile. The form "
                "now shows the current version; make your change again."
            ),
            field="row_version",
            code=STALE,
        )
