"""The audit history (django-simple-history): who made a change, and the one renderer that turns
historical records into what people read ("changed: Status — Proposed → Active").

A partner API call authenticates as an organisation principal, not a User row; the history keeps
who changed what through the change reason that services set, and leaves history_user empty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .translated import translated_names, version_names


def history_user(instance=None, request=None, **kwargs):
    user = getattr(request, "user", None)
    if isinstance(user, get_user_model()):
        return user
    return getattr(instance, "_history_user", None)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    date: Any
    user: Any
    subject: str  # "Collaboration", "Participation: City of Riverton", "Contact: Jane Doe"
    action: str  # created / changed / deleted
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    # What people read: the subject and the action as one sentence ("Contact: Jane Doe changed"),
    # so a language puts them in its own order and spacing.
    summary: str = ""


HISTORY_ACTIONS = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}
HISTORY_SUMMARIES = {
    "+": gettext_lazy("%(subject)s created"),
    "~": gettext_lazy("%(subject)s changed"),
    "-": gettext_lazy("%(subject)s deleted"),
}
# Bookkeeping columns nobody needs to see in a change list.
BOOKKEEPING = frozenset({"created_at", "updated_at", "id"})
# Records read per source and page at most: a page shows the newest changes, never a row's
# whole life (the whole history is read page by page: history_page).
HISTORY_LIMIT = 300
# The column that names a row of a related model, first found wins.
NAME_FIELDS = ("name", "title", "username")


@dataclass(frozen=True)
class HistorySource:
    """The historical records of one model that make up part of a history, how each is named,
    and the fields not worth showing."""

    model: type[models.Model]
    records: QuerySet
    subject: Callable[[Any, dict], str]  # (record, names) -> str
    ignored: frozenset = frozenset()
    # Relations whose rows need no name (default: the ignored ones); a subject may still name
    # an ignored relation (a measurement names its goal) and then leaves it out of this.
    unnamed: frozenset | None = None


def _name_field(model: type[models.Model]) -> str | None:
    names = {f.name for f in model._meta.get_fields()}
    return next((name for name in NAME_FIELDS if name in names), None)


def _display(model, field_name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(field_name)
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _relation_names(loaded: list[tuple[HistorySource, list]]) -> dict:
    """Names of the rows history records point at: from the loaded history itself when a model's
    own records were read (the latest name wins), the rest with one query per related model."""
    names: dict = {}
    for source, records in loaded:
        name_field = _name_field(source.model)
        if name_field:
            for record in records:  # oldest first
                names[(source.model, record.id)] = getattr(record, name_field)
    wanted: dict[type[models.Model], set] = {}
    for source, records in loaded:
        relations = [
            f
            for f in source.model._meta.get_fields()
            if f.concrete
            and f.is_relation
            and f.many_to_one
            and f.name not in (source.ignored if source.unnamed is None else source.unnamed)
            and f.name not in BOOKKEEPING
            and isinstance(f.related_model, type)
            and _name_field(f.related_model)
        ]
        for record in records:
            for relation in relations:
                value = getattr(record, relation.attname, None)
                related: Any = relation.related_model
                if value is not None and (related, value) not in names:
                    wanted.setdefault(related, set()).add(value)
    for model, ids in wanted.items():
        name_field = _name_field(model) or "pk"
        rows = model._base_manager.filter(pk__in=ids).values_list("pk", name_field)
        names.update({(model, pk): name for pk, name in rows})
    return names


def _load(
    sources: list[HistorySource], before: dt.datetime | None, size: int
) -> list[tuple[Any, list, bool]]:
    """Each source's newest records (older than `before`), oldest first, enough for `size`
    entries and a few saves that changed nothing visible, at most HISTORY_LIMIT; and whether
    older ones were left: then one more is read, to diff the oldest against, not shown."""
    count = min(HISTORY_LIMIT, 2 * size + 10)
    loaded = []
    for source in sources:
        records = source.records
        if before is not None:
            records = records.filter(history_date__lt=before)
        newest = records.select_related("history_user").order_by("-history_date", "-history_id")
        read = list(reversed(newest[: count + 1]))
        loaded.append((source, read, len(read) > count))
    return loaded


def _merged(loaded, limit: int) -> list[HistoryEntry]:
    names = _relation_names([(source, records) for source, records, _cut in loaded])
    entries: list[HistoryEntry] = []
    for source, records, cut in loaded:
        entries += _source_entries(source, records, names, limit, context=1 if cut else 0)
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries


def history_entries(sources: list[HistorySource], *, limit: int = 100) -> list[HistoryEntry]:
    """Recorded changes of several models, newest first, each with what changed: one query per
    model plus one per kind of related name, however long the history. Diffs are computed in
    Python between consecutive records of the same row."""
    return history_page(sources, size=limit)[0][:limit]


def history_page(
    sources: list[HistorySource], *, before: dt.datetime | None = None, size: int = 50
) -> tuple[list[HistoryEntry], dt.datetime | None]:
    """One page of the whole history, newest first, and where the next (older) page starts —
    None when there is none. Keyset pagination on the change's time: a page is the same queries
    as `history_entries` whatever its depth, and a change recorded meanwhile does not shift the
    pages already read. Changes made at the same instant are never split between two pages."""
    loaded = _load(sources, before, size)
    entries = _merged(loaded, size)
    # A source cut short may hold older changes than its oldest one read: nothing older than
    # that is shown yet (the page may be shorter), or they would be skipped.
    horizon = max(
        (records[1].history_date for _source, records, cut in loaded if cut), default=None
    )
    if horizon is not None:
        entries = [entry for entry in entries if entry.date >= horizon]
    shown = entries[:size]
    while shown and len(shown) < len(entries) and entries[len(shown)].date == shown[-1].date:
        shown.append(entries[len(shown)])
    if len(shown) < len(entries):
        return shown, shown[-1].date
    return shown, horizon


def _source_entries(
    source: HistorySource, records: list, names, limit: int, *, context: int = 0
) -> list[HistoryEntry]:
    """The entries of one source's records (oldest first), in that order: its newest `limit`
    at most (and any as old as the last of them), since no more of one source can be among
    the newest `limit` of all. Diffs are the cost (a thousand-change collaboration: 300 records
    a source), so they are computed newest first and only until enough entries are found. The
    oldest `context` records are only what the next ones are diffed against."""
    hidden = source.ignored | BOOKKEEPING
    previous_of: list[Any] = []
    latest_by_row: dict[int, Any] = {}
    for record in records:
        previous_of.append(latest_by_row.get(record.id))
        latest_by_row[record.id] = record
    newest_first: list[HistoryEntry] = []
    shown = zip(reversed(records[context:]), reversed(previous_of[context:]), strict=True)
    for record, previous in shown:
        if len(newest_first) >= limit and record.history_date != newest_first[-1].date:
            break
        subject = source.subject(record, names)
        action = str(HISTORY_ACTIONS.get(record.history_type, record.history_type))
        summary = HISTORY_SUMMARIES.get(record.history_type)
        entry = HistoryEntry(
            date=record.history_date,
            user=record.history_user,
            subject=subject,
            action=action,
            reason=record.history_change_reason or "",
            summary=str(summary) % {"subject": subject} if summary else f"{subject} {action}",
        )
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous, included_fields=_diffed(record))
            for change in delta.changes:
                if change.field in hidden:
                    continue
                entry.changes.append(
                    FieldChange(
                        label=_label(source.model, change.field),
                        old=_display(source.model, change.field, change.old, names),
                        new=_display(source.model, change.field, change.new, names),
                    )
                )
            if not entry.changes and not entry.reason:
                continue  # a save that changed nothing a person would notice
        newest_first.append(entry)
    return newest_first[::-1]


def _diffed(record) -> set[str] | None:
    """The fields a change is looked for in: the tracked ones, a translated field by each of its
    language versions ("title (French)" changed), not by its original column
    (core/translated.py)."""
    model: type[models.Model] = type(record)
    translated = translated_names(model)
    if not translated:
        return None
    return {f.name for f in record.tracked_fields if f.editable and f.name not in translated} | {
        version for name in translated for version in version_names(name)
    }


def _label(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))
