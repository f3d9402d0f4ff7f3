"""Slugs of rows that have a page at `/<things>/<slug>/`: chosen by a person and checked, or made
from a name and kept unique. One implementation for organisations and collaborations."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .errors import DomainError

MAX_SLUG = 80


def unique_slug(
    rows: QuerySet, name: str, *, exclude_pk: int | None, reserved: frozenset, fallback: str
) -> str:
    """A free slug made from `name`: the name's slug, or with -2, -3… after it."""
    base = slugify(name)[:70].strip("-") or fallback
    taken = set(
        rows.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    taken |= reserved
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def checked_slug(
    rows: QuerySet, slug: str, *, exclude_pk: int | None, reserved: frozenset, taken_message: str
) -> str:
    """A slug a person typed: its characters, length, a reserved path, and another row's."""
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise DomainError(
            _("A slug may contain only letters, numbers, hyphens and underscores."), field="slug"
        ) from exc
    if len(slug) > MAX_SLUG:
        raise DomainError(_("A slug has at most 80 characters."), field="slug")
    if slug.lower() in reserved:
        raise DomainError(
            _("“%(slug)s” is reserved; choose another slug.") % {"slug": slug}, field="slug"
        )
    if rows.filter(slug=slug).exclude(pk=exclude_pk).exists():
        raise DomainError(taken_message % {"slug": slug}, field="slug")
    return slug
