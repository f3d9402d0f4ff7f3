"""Global search: what an actor may find of organisations, contacts, collaborations, agreements
and goals, ranked, each kind through the scoped selector its own list uses (docs/permissions.md).

PostgreSQL: full-text search over the stored documents of documents.py (GIN-indexed), every
word a prefix ("lake wat" finds "Lakeside Water Board"), ranked by SearchRank over the same
document, whose weights rank a name above a summary. SQLite: every word `icontains` in one of
the same fields, names first. One query per kind whatever the number of matches (the total
comes with the rows, a window count)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agreements.selectors import agreement_list_for, collaboration_list_for, goal_list_for
from core.actors import is_partner
from core.scope import restrict
from core.translated import Translated, translated, version_names
from partners.models import Contact, Organisation
from partners.selectors import organisation_list_for

from . import documents

MIN_LENGTH = 2  # shorter searches match half the country
MAX_LENGTH = 200
MAX_WORDS = 8
PER_KIND = 8
WORD = re.compile(r"[^\W_]+")


def contact_list_for(*, actor) -> QuerySet[Contact]:
    """Contacts `actor` may read: those of the organisations it may read (Contact's scope is its
    organisation's: no filter at all for signed-in people); a partner token, as in the API's
    organisation list, only their active contacts."""
    contacts = restrict(Contact.objects.all(), actor)
    if is_partner(actor):
        contacts = contacts.filter(is_active=True)
    return contacts


def _organisation_of(field: str, via: str = "organisation_id") -> Subquery:
    """A column of the organisation a row points to through `via`, as a subquery."""
    return Subquery(Organisation.objects.filter(pk=OuterRef(via)).order_by().values(field))


@dataclass(frozen=True)
class Hit:
    # A collaboration's or goal's title, and the collaboration an agreement or a goal belongs
    # to, in the reader's language or marked as the other one's (core/translated.py).
    title: str | Translated
    detail: str | Translated
    url: str


@dataclass
class Group:
    kind: str
    label: Promise
    hits: list[Hit] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.hits)


@dataclass(frozen=True)
class Source:
    kind: str
    label: Promise
    scope: Callable[..., QuerySet]
    names: tuple[str, ...]  # what a hit is called: ranked first on SQLite
    others: tuple[str, ...]  # also searched
    columns: tuple[str, ...]
    hit: Callable[[dict], Hit]
    # Columns read by a subquery: evaluated for the rows shown only, where a join would read
    # the whole joined table for thousands of matches (every organisation, for a collaboration's
    # lead).
    looked_up: Callable[[], dict] = dict


def _organisation_hit(row: dict) -> Hit:
    detail = " · ".join(part for part in (row["short_name"], row["jurisdiction"]) if part)
    return Hit(row["name"], detail, reverse("partners:organisation_detail", args=[row["slug"]]))


def _contact_hit(row: dict) -> Hit:
    detail = " · ".join(part for part in (row["title"], row["organisation_name"]) if part)
    url = reverse("partners:organisation_detail", args=[row["organisation_slug"]])
    return Hit(row["name"], detail, f"{url}#contacts")


def _collaboration_hit(row: dict) -> Hit:
    return Hit(
        translated(row, "title"),
        row["lead_organisation_name"] or "",
        reverse("agreements:collaboration_detail", args=[row["slug"]]),
    )


def _agreement_hit(row: dict) -> Hit:
    return Hit(
        row["title"],
        translated(row, "collaboration__title"),
        reverse("agreements:agreement_detail", args=[row["collaboration__slug"], row["pk"]]),
    )


def _goal_hit(row: dict) -> Hit:
    return Hit(
        translated(row, "title"),
        translated(row, "collaboration__title"),
        reverse("agreements:goal_detail", args=[row["collaboration__slug"], row["pk"]]),
    )


SOURCES = (
    Source(
        "organisations",
        _("Organisations"),
        organisation_list_for,
        ("name", "short_name"),
        ("jurisdiction",),
        ("pk", "name", "short_name", "slug", "jurisdiction"),
        _organisation_hit,
    ),
    Source(
        "contacts",
        _("Contacts"),
        contact_list_for,
        ("name",),
        ("email", "title"),
        ("pk", "name", "title", "organisation_name", "organisation_slug"),
        _contact_hit,
        lambda: {
            "organisation_name": _organisation_of("name"),
            "organisation_slug": _organisation_of("slug"),
        },
    ),
    Source(
        "collaborations",
        _("Collaborations"),
        collaboration_list_for,
        tuple(version_names("title")),
        (*version_names("summary"), *version_names("shared_vision")),
        ("pk", *version_names("title"), "slug", "lead_organisation_name"),
        _collaboration_hit,
        lambda: {"lead_organisation_name": _organisation_of("name", "lead_organisation_id")},
    ),
    Source(
        "agreements",
        _("Agreements"),
        agreement_list_for,
        ("title",),
        (),
        ("pk", "title", *version_names("collaboration__title"), "collaboration__slug"),
        _agreement_hit,
    ),
    Source(
        "goals",
        _("Shared goals"),
        goal_list_for,
        tuple(version_names("title")),
        tuple(version_names("indicator")),
        (
            "pk",
            *version_names("title"),
            *version_names("collaboration__title"),
            "collaboration__slug",
        ),
        _goal_hit,
    ),
)
KINDS = tuple(source.kind for source in SOURCES)


def search_words(text: str | None) -> list[str]:
    """The words of a search: letters and digits only (nothing of the text reaches a query's
    syntax), at most MAX_WORDS of them."""
    return WORD.findall((text or "")[:MAX_LENGTH].lower())[:MAX_WORDS]


def _postgres_matches(source: Source, queryset: QuerySet, words: list[str]) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    # Each word a prefix, all of them required; `words` hold letters and digits only.
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config=documents.CONFIG
    )
    return (
        queryset.annotate(search_document=documents.StoredDocument())
        .filter(search_document=query)
        .annotate(rank=SearchRank(documents.StoredDocument(), query))
    )


def _fallback_matches(source: Source, queryset: QuerySet, words: list[str]) -> QuerySet:
    for word in words:
        anywhere = Q()
        for name in source.names + source.others:
            anywhere |= Q(**{f"{name}__icontains": word})
        queryset = queryset.filter(anywhere)
    phrase = " ".join(words)
    in_name = Q()
    starts = Q()
    for name in source.names:
        in_name |= Q(**{f"{name}__icontains": phrase})
        starts |= Q(**{f"{name}__istartswith": phrase})
    return queryset.annotate(
        rank=Case(
            When(starts, then=Value(3)),
            When(in_name, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def search_for(*, actor, text: str | None, kinds: tuple[str, ...] = KINDS) -> list[Group]:
    """The best PER_KIND matches of each kind `actor` may read, best first, with the number of
    matches of each kind; nothing for a search shorter than MIN_LENGTH letters."""
    words = search_words(text)
    if sum(len(word) for word in words) < MIN_LENGTH:
        return []
    matches = _postgres_matches if connection.vendor == "postgresql" else _fallback_matches
    groups = []
    for source in SOURCES:
        if source.kind not in kinds:
            continue
        found = (
            matches(source, source.scope(actor=actor).order_by(), words)
            .annotate(total=Window(Count("pk")), **source.looked_up())
            .order_by(F("rank").desc(), source.names[0], "pk")
            .values(*source.columns, "total")[:PER_KIND]
        )
        rows = list(found)
        groups.append(
            Group(
                kind=source.kind,
                label=source.label,
                hits=[source.hit(row) for row in rows],
                total=rows[0]["total"] if rows else 0,
            )
        )
    return groups
