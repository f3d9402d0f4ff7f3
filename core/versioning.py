"""A row's version, for optimistic concurrency: the API's ETag / If-Match and the hidden
`version` of HTML edit forms. A hash of the row's stored values, so any saved change (by any
path) gives a new version, with no counter column to keep in step."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainError
from .translated import stored_fields

STALE = "stale"


def row_version(instance: models.Model) -> str:
    # A translated field counts by its language columns: its original column reads in the
    # reader's language, which would give one row a version per language (core/translated.py).
    values = "\x1f".join(
        f"{field.attname}={field.value_to_string(instance)}"
        for field in stored_fields(type(instance))
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


# HTML edit forms -------------------------------------------------------------------------------


def versioned(form, instance):
    """An edit form carries the version of the row it shows (a hidden `row_version`): saving it
    after someone else saved the row is refused, not a silent overwrite of their change."""
    from django import forms

    form.fields["row_version"] = forms.CharField(widget=forms.HiddenInput, required=False)
    form.initial["row_version"] = row_version(instance)
    return form


def edit_data(form) -> tuple[dict, str | None]:
    """The form's values for the service, and the version the form was opened at."""
    data = dict(form.cleaned_data)
    return data, data.pop("row_version", None) or None


def show_refusal(form, error: DomainError, instance, initial) -> None:
    """A service's refusal on an edit form. When the row changed since the form was opened,
    the form shows the current version of it (`initial(instance)` after a re-read), with the
    message, so the change can be made again on top of it."""
    if error.code != STALE:
        form.add_domain_error(error)
        return
    instance.refresh_from_db()
    form.is_bound = False
    form.data, form.files = {}, {}
    form.cleaned_data = {}
    form._errors = None
    form.initial = {**initial(instance), "row_version": row_version(instance)}
    form.add_error(None, error.message)
